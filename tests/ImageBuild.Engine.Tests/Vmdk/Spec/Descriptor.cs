using System.Text.RegularExpressions;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>One extent line: access, size in sectors, type, file name and (flat only) offset.</summary>
public sealed record ExtentLine(string Access, ulong Sectors, string Type, string? FileName, ulong? Offset);

/// <summary>
/// A descriptor's text split as the spec does: the header's key=value lines, the extent lines, the ddb.* database,
/// and the lines that fit none of them.
/// </summary>
public sealed partial class Descriptor
{
    public required string Text { get; init; }
    public required IReadOnlyList<string> Lines { get; init; }
    public required IReadOnlyDictionary<string, string> Fields { get; init; }
    public required IReadOnlyDictionary<string, string> Ddb { get; init; }
    public required IReadOnlyList<ExtentLine> Extents { get; init; }
    public required IReadOnlyList<string> BadExtentLines { get; init; }

    public ulong ExtentSectors => Extents.Aggregate(0UL, (s, e) => s + e.Sectors);

    public string? Field(string key) => Fields.TryGetValue(key, out var v) ? v : null;

    public string? DdbValue(string key) => Ddb.TryGetValue(key, out var v) ? v : null;

    public static Descriptor Parse(string text)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var ddb = new Dictionary<string, string>(StringComparer.Ordinal);
        var extents = new List<ExtentLine>();
        var bad = new List<string>();
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var extent = ExtentPattern().Match(line);
            if (extent.Success)
            {
                extents.Add(new ExtentLine(extent.Groups["access"].Value, ulong.Parse(extent.Groups["size"].Value),
                    extent.Groups["type"].Value,
                    extent.Groups["file"].Success ? extent.Groups["file"].Value : null,
                    extent.Groups["offset"].Success ? ulong.Parse(extent.Groups["offset"].Value) : null));
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq > 0 && !AccessPattern().IsMatch(line))
            {
                string key = line[..eq].Trim(), value = line[(eq + 1)..].Trim().Trim('"');
                (key.StartsWith("ddb.", StringComparison.Ordinal) ? ddb : fields)[key] = value;
                continue;
            }
            bad.Add(line);
        }
        return new Descriptor { Text = text, Lines = lines, Fields = fields, Ddb = ddb, Extents = extents, BadExtentLines = bad };
    }

    /// <summary>The spec's grammar: ZERO names no file; the other types name one and may carry an offset (FLAT only, checked by the rules).</summary>
    [GeneratedRegex("""^(?<access>RW|RDONLY|NOACCESS) +(?<size>\d{1,19}) +(?:(?<type>ZERO)|(?<type>FLAT|SPARSE|VMFS|VMFSSPARSE|VMFSRDM|VMFSRAW) +"(?<file>[^"]*)"(?: +(?<offset>\d{1,19}))?)$""", RegexOptions.CultureInvariant)]
    private static partial Regex ExtentPattern();

    [GeneratedRegex(@"^(RW|RDONLY|NOACCESS)\b", RegexOptions.CultureInvariant)]
    private static partial Regex AccessPattern();
}
