using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace ImageBuild.Fuzz.Differential;

/// <summary>
/// The differential mode: every input (corpus files, then in-process mutations of them) is given to qemu-img and
/// to imagebuild: info --output=json, check and convert -O raw, with the same format and in the same directory
/// (beside base.raw and data.raw, as for the fuzz targets). What differs (exit codes, the info JSON less
/// actual-size, the converted bytes) is a divergence: the input and both outputs are kept in a folder of its own,
/// with one line in summary.txt.
/// </summary>
public static partial class DifferentialRunner
{
    /// <summary>convert is skipped above this virtual size (the raw output is written by both tools).</summary>
    public const long MaxConvertSize = 256L << 20;

    public static int Run(DifferentialOptions o)
    {
        var tools = new ToolRunner(Path.GetFullPath(o.Cli), TimeSpan.FromSeconds(60));
        if (!File.Exists(o.Cli))
            throw new ArgumentException($"{o.Cli} not found: build the CLI first (dotnet build src/ImageBuild.Cli -c Release)");
        Directory.CreateDirectory(o.Out);
        string summaryPath = Path.Combine(o.Out, "summary.txt");
        using var summary = new StreamWriter(summaryPath, append: true);
        using var scratch = new Scratch();
        var clock = Stopwatch.StartNew();
        var signatures = new Dictionary<string, int>(StringComparer.Ordinal);
        int done = 0, divergent = 0;
        foreach (var (label, bytes) in Inputs(o))
        {
            if (done >= o.Max || clock.Elapsed > o.Time)
                break;
            done++;
            var diffs = Compare(tools, scratch, bytes, o.Format);
            if (diffs.Count == 0)
                continue;
            divergent++;
            string id = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{done:D5}";
            string folder = Path.Combine(o.Out, id);
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, "input." + o.Format), bytes);
            File.WriteAllText(Path.Combine(folder, "report.txt"), $"input: {label}\n" + string.Join("\n\n", diffs.Select(d => d.Detail)));
            foreach (var d in diffs)
            {
                summary.WriteLine($"{id} {d.Summary}  [{label}]");
                signatures[d.Signature] = signatures.GetValueOrDefault(d.Signature) + 1;
            }
            summary.Flush();
        }
        Console.WriteLine($"{done} inputs compared in {clock.Elapsed.TotalSeconds:F0}s, {divergent} divergent; details in {o.Out}");
        foreach (var (sig, n) in signatures.OrderByDescending(kv => kv.Value))
            Console.WriteLine($"  {n,5}  {sig}");
        return 0;
    }

    private static IEnumerable<(string Label, byte[] Bytes)> Inputs(DifferentialOptions o)
    {
        var files = o.Corpus.SelectMany(c => Directory.Exists(c) ? Directory.EnumerateFiles(c) : [c])
            .Where(f => !Path.GetFileName(f).StartsWith("README", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith('.'))
            .Order(StringComparer.Ordinal).ToList();
        foreach (string f in files)
            yield return (f, File.ReadAllBytes(f));
        var rnd = new Random(o.Seed);
        for (int i = 0; i < o.Mutate && files.Count > 0; i++)
        {
            string f = files[rnd.Next(files.Count)];
            yield return ($"{f} mutation {i} (seed {o.Seed})", Mutator.Mutate(File.ReadAllBytes(f), rnd));
        }
    }

    private sealed record Divergence(string Signature, string Summary, string Detail);

    private static List<Divergence> Compare(ToolRunner tools, Scratch scratch, byte[] input, string format)
    {
        var diffs = new List<Divergence>();
        string dir = scratch.Directory;
        string name = "t." + format;
        scratch.WriteInput(input, name);

        var qi = tools.Qemu(dir, "info", "--output=json", "-f", format, name);
        var oi = tools.Ours(dir, "info", "--output=json", "-f", format, name);
        if (qi.ExitCode != oi.ExitCode)
            diffs.Add(ExitDiff("info", qi, oi));
        else if (qi.ExitCode == 0 && NormalizedInfo(qi.StdOut) != NormalizedInfo(oi.StdOut))
            diffs.Add(new("info: json differs", "info: json differs",
                $"== info json differs\n-- qemu-img\n{qi.StdOut}\n-- imagebuild\n{oi.StdOut}"));

        scratch.WriteInput(input, name);
        var qc = tools.Qemu(dir, "check", "-f", format, name);
        scratch.WriteInput(input, name);
        var oc = tools.Ours(dir, "check", "-f", format, name);
        if (qc.ExitCode != oc.ExitCode)
            diffs.Add(ExitDiff("check", qc, oc));

        long size = qi.ExitCode == 0 ? VirtualSize(qi.StdOut) : -1;
        if (size is >= 0 and <= MaxConvertSize)
        {
            string qraw = Path.Combine(dir, "q.raw"), oraw = Path.Combine(dir, "o.raw");
            scratch.WriteInput(input, name);
            var qv = tools.Qemu(dir, "convert", "-f", format, "-O", "raw", name, "q.raw");
            scratch.WriteInput(input, name);
            var ov = tools.Ours(dir, "convert", "-f", format, "-O", "raw", name, "o.raw");
            if (qv.ExitCode != ov.ExitCode)
                diffs.Add(ExitDiff("convert", qv, ov));
            else if (qv.ExitCode == 0 && Md5(qraw) != Md5(oraw))
                diffs.Add(new("convert: data differs", "convert: data differs", $"== convert -O raw: the outputs differ (md5 {Md5(qraw)} qemu, {Md5(oraw)} ours)"));
            File.Delete(qraw);
            File.Delete(oraw);
        }
        return diffs;
    }

    /// <summary>
    /// Our refusals that README.md lists as deliberate differences (a qcow2 table, or a snapshot table or one of its
    /// entries, reaching past the end of the file):
    /// still reported, but marked, so that new divergences stand out.
    /// </summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"((L1|L2|refcount|reference count|snapshot) table|snapshot table entry \d+) .*lies past the end of the file")]
    private static partial System.Text.RegularExpressions.Regex DeliberateRefusal();

    private static Divergence ExitDiff(string command, ToolResult q, ToolResult o)
    {
        string sig = $"{command}: exit qemu {Code(q)} ours {Code(o)}";
        if (DeliberateRefusal().IsMatch(o.StderrFirstLines))
            sig = "deliberate (README: table past EOF) " + sig;
        return new(sig, $"{sig}: qemu '{q.FirstErrorLine}' ours '{o.FirstErrorLine}'",
            $"== {sig}\n-- qemu-img stdout\n{Tail(q.StdOut)}\n-- qemu-img stderr\n{Tail(q.StdErr)}\n-- imagebuild stdout\n{Tail(o.StdOut)}\n-- imagebuild stderr\n{Tail(o.StdErr)}");
    }

    private static string Code(ToolResult r) => r.TimedOut ? "timeout" : r.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Tail(string s) => s.Length <= 8000 ? s : "...\n" + s[^8000..];

    /// <summary>The info JSON without what legitimately differs (actual-size: host allocation; the filename).</summary>
    private static string NormalizedInfo(string json)
    {
        try
        {
            var node = JsonNode.Parse(json);
            if (node is JsonObject o)
                o.Remove("actual-size");
            return node?.ToJsonString() ?? "";
        }
        catch (System.Text.Json.JsonException)
        {
            return "unparsable: " + json;
        }
    }

    private static long VirtualSize(string infoJson)
    {
        try { return JsonNode.Parse(infoJson)?["virtual-size"]?.GetValue<long>() ?? -1; }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException) { return -1; }
    }

    private static string Md5(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(MD5.HashData(s));
    }
}
