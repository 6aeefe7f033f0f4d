using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageBuild.Fuzz;

/// <summary>One byte patch: <see cref="Hex"/> written at <see cref="Offset"/>.</summary>
public sealed record BytePatch(long Offset, string Hex);

/// <summary>What qemu-img 7.2 does with the file (exit codes of info, check and convert -O raw).</summary>
public sealed record QemuExpectation(int Info, int Check, int Convert);

/// <summary>
/// A fuzz finding kept as a regression: a seed of <see cref="SeedCatalog"/> made by qemu-img, byte patches over it,
/// what was found, and qemu's behaviour on the result. Replayed by tests/ImageBuild.Engine.Tests/Fuzz.
/// </summary>
public sealed record RegressionFile
{
    public required string Name { get; init; }
    public required string Seed { get; init; }
    public required IReadOnlyList<BytePatch> Patches { get; init; }
    /// <summary>Bytes appended after the patches (the mutated file was longer), hex; null for none.</summary>
    public string? Append { get; init; }
    /// <summary>The length to cut the file to after patching (the mutated file was shorter); null: unchanged.</summary>
    public long? Truncate { get; init; }
    public required string Finding { get; init; }
    public required QemuExpectation Qemu { get; init; }
    /// <summary>
    /// Where ImageBuild deliberately differs from qemu (README.md, "Deliberate differences"): our exit codes; null
    /// when we must do what qemu does.
    /// </summary>
    public QemuExpectation? Ours { get; init; }
    /// <summary>The virtual size qemu-img info reports, when the finding is about it; null otherwise.</summary>
    public long? QemuVirtualSize { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static RegressionFile Load(string path) =>
        JsonSerializer.Deserialize<RegressionFile>(File.ReadAllText(path), Json) ?? throw new InvalidDataException(path);

    /// <summary>The seed with the patches applied.</summary>
    public byte[] Apply(byte[] seed)
    {
        var bytes = new List<byte>(seed);
        foreach (var p in Patches)
        {
            byte[] v = Convert.FromHexString(p.Hex);
            for (int i = 0; i < v.Length; i++)
            {
                long at = p.Offset + i;
                while (bytes.Count <= at) bytes.Add(0);
                bytes[(int)at] = v[i];
            }
        }
        bytes.AddRange(Convert.FromHexString(Append ?? ""));
        if (Truncate is long t && t < bytes.Count)
            bytes.RemoveRange((int)t, bytes.Count - (int)t);
        return [.. bytes];
    }

    /// <summary>
    /// A regression file for <paramref name="file"/> as patches of the seed named <paramref name="seedName"/> (or, for
    /// "auto", of the seed that needs the fewest patched bytes), with qemu-img's exit codes on it filled in.
    /// </summary>
    public static string Describe(string name, string seedName, string file, string finding)
    {
        string work = Directory.CreateTempSubdirectory("imagebuild-regression-").FullName;
        try
        {
            byte[] input = File.ReadAllBytes(file);
            var candidates = seedName == "auto" ? SeedCatalog.All : [SeedCatalog.Find(seedName)];
            var best = candidates.Select(s => (Seed: s, File: Against(name, s.Name, SeedCatalog.Make(s, work), input, finding)))
                .OrderBy(c => c.File.Patches.Sum(p => p.Hex.Length) + (c.File.Append?.Length ?? 0)).First();
            string path = Path.Combine(work, "finding.qcow2");
            File.WriteAllBytes(path, input);
            Scratch.LayAuxiliaryFiles(work);
            int Qemu(params string[] args)
            {
                var psi = new System.Diagnostics.ProcessStartInfo("qemu-img") { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (string a in args) psi.ArgumentList.Add(a);
                using var p = System.Diagnostics.Process.Start(psi)!;
                var stdout = p.StandardOutput.ReadToEndAsync();
                p.StandardError.ReadToEnd();
                stdout.Wait();
                p.WaitForExit();
                return p.ExitCode;
            }
            var r = best.File with
            {
                Qemu = new QemuExpectation(Qemu("info", "-f", "qcow2", path), Qemu("check", "-f", "qcow2", path),
                    Qemu("convert", "-f", "qcow2", "-O", "raw", path, Path.Combine(work, "q.raw"))),
            };
            return JsonSerializer.Serialize(r, Json);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static RegressionFile Against(string name, string seedName, byte[] seed, byte[] input, string finding)
    {
        var patches = new List<BytePatch>();
        int common = Math.Min(seed.Length, input.Length);
        for (int i = 0; i < common; i++)
        {
            if (seed[i] == input[i]) continue;
            int j = i;
            while (j < common && (seed[j] != input[j] || (j + 1 < common && seed[j + 1] != input[j + 1]))) j++;
            patches.Add(new BytePatch(i, Convert.ToHexString(input, i, j - i)));
            i = j;
        }
        var r = new RegressionFile
        {
            Name = name,
            Seed = seedName,
            Patches = patches,
            Append = input.Length > seed.Length ? Convert.ToHexString(input, seed.Length, input.Length - seed.Length) : null,
            Truncate = input.Length < seed.Length ? input.Length : null,
            Finding = finding,
            Qemu = new QemuExpectation(-1, -1, -1),
        };
        if (!r.Apply(seed).AsSpan().SequenceEqual(input))
            throw new InvalidOperationException("the patches do not reproduce the file");
        return r;
    }
}
