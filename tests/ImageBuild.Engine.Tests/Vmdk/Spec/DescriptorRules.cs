using System.Text.RegularExpressions;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>The descriptor's rules: its header lines, the extent grammar, the disk database and its geometry.</summary>
public static partial class DescriptorRules
{
    public const string Signature = "# Disk DescriptorFile";

    private static readonly string[] CreateTypes =
    [
        "monolithicSparse", "vmfsSparse", "monolithicFlat", "vmfs", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat",
        "fullDevice", "vmfsRaw", "partitionedDevice", "vmfsRawDeviceMap", "vmfsPassthroughRawDeviceMap", "streamOptimized",
    ];

    private static readonly string[] AdapterTypes = ["ide", "buslogic", "lsilogic", "legacyESX"];

    /// <summary>Checks the text of one descriptor found in <paramref name="path"/> at byte <paramref name="at"/>.</summary>
    public static void Check(Descriptor d, string path, long at, Findings f)
    {
        string first = d.Lines.Count > 0 ? d.Lines[0].TrimEnd() : "";
        f.Require(first == Signature, VmdkRules.FirstLine, path, at, $"first line \"{Shorten(first)}\"");
        f.Require(CountSignatures(d.Text) == 1, VmdkRules.SingleDescriptor, path, at, $"{CountSignatures(d.Text)} \"{Signature}\" lines");
        f.Require(d.Field("version") == "1", VmdkRules.DescVersion, path, at, $"version={d.Field("version") ?? "(missing)"}");
        string? cid = d.Field("CID");
        f.Require(cid is not null && HexId().IsMatch(cid), VmdkRules.Cid, path, at, $"CID={cid ?? "(missing)"}");
        string? parent = d.Field("parentCID");
        bool hasParent = d.Field("parentFileNameHint") is not null;
        f.Require(hasParent ? parent is not null && HexId().IsMatch(parent) : parent == "ffffffff", VmdkRules.ParentCid, path, at,
            $"parentCID={parent ?? "(missing)"}{(hasParent ? " with a parentFileNameHint" : " without a parent")}");
        string? type = d.Field("createType");
        f.Require(type is not null && CreateTypes.Contains(type), VmdkRules.CreateType, path, at, $"createType={type ?? "(missing)"}");
        foreach (string line in d.BadExtentLines)
            f.Add(VmdkRules.ExtentGrammar, path, at, $"line \"{Shorten(line)}\"");
        foreach (var e in d.Extents.Where(e => e.FileName is ""))
            f.Add(VmdkRules.ExtentGrammar, path, at, $"{e.Type} extent with an empty file name");
        foreach (var e in d.Extents.Where(e => e.Offset is not null && e.Type != "FLAT"))
            f.Add(VmdkRules.ExtentGrammar, path, at, $"{e.Type} extent \"{e.FileName}\" with an offset");
        f.Require(d.Extents.Count > 0, VmdkRules.ExtentGrammar, path, at, "no extent line");
        CheckCreateType(d, type, path, at, f);
        CheckDatabase(d, path, at, f);
    }

    private static void CheckCreateType(Descriptor d, string? type, string path, long at, Findings f)
    {
        const ulong twoGb = 2UL << 30 >> 9;
        bool ok = type switch
        {
            "monolithicSparse" or "streamOptimized" => d.Extents is [{ Type: "SPARSE" }],
            "monolithicFlat" => d.Extents.Count >= 1 && d.Extents.All(e => e.Type == "FLAT"),
            "twoGbMaxExtentSparse" => d.Extents.All(e => e.Type == "SPARSE" && e.Sectors <= twoGb),
            "twoGbMaxExtentFlat" => d.Extents.All(e => e.Type == "FLAT" && e.Sectors <= twoGb),
            "vmfs" => d.Extents.All(e => e.Type == "VMFS"),
            "vmfsSparse" => d.Extents.All(e => e.Type == "VMFSSPARSE"),
            _ => true,
        };
        f.Require(ok, VmdkRules.CreateTypeMatches, path, at,
            $"createType={type} with extents {string.Join(", ", d.Extents.Select(e => $"{e.Type} {e.Sectors}"))}");
    }

    private static void CheckDatabase(Descriptor d, string path, long at, Findings f)
    {
        string? hw = d.DdbValue("ddb.virtualHWVersion");
        f.Require(hw is not null && hw.Length is > 0 and < 10 && hw.All(char.IsAsciiDigit), VmdkRules.HwVersion, path, at,
            $"ddb.virtualHWVersion={hw ?? "(missing)"}");
        string? adapter = d.DdbValue("ddb.adapterType");
        bool adapterOk = f.Require(adapter is not null && AdapterTypes.Contains(adapter), VmdkRules.AdapterType, path, at,
            $"ddb.adapterType={adapter ?? "(missing)"}");
        if (!adapterOk) return;
        var (cylinders, heads, sectors) = ExpectedGeometry(adapter!, d.ExtentSectors);
        string? c = d.DdbValue("ddb.geometry.cylinders"), h = d.DdbValue("ddb.geometry.heads"), s = d.DdbValue("ddb.geometry.sectors");
        f.Require(c == cylinders.ToString() && h == heads.ToString() && s == sectors.ToString(), VmdkRules.Geometry, path, at,
            $"{adapter} disk of {d.ExtentSectors} sectors has C/H/S {c ?? "-"}/{h ?? "-"}/{s ?? "-"}, the spec gives {cylinders}/{heads}/{sectors}");
    }

    /// <summary>The spec's CHS rule: IDE 16 heads and 63 sectors; SCSI by size (&lt;1 GiB 64/32, &lt;2 GiB 128/32, else 255/63).</summary>
    public static (ulong Cylinders, ulong Heads, ulong Sectors) ExpectedGeometry(string adapter, ulong capacitySectors)
    {
        ulong bytes = capacitySectors * 512;
        (ulong heads, ulong sectors) = adapter == "ide" ? (16UL, 63UL)
            : bytes < 1UL << 30 ? (64UL, 32UL)
            : bytes < 2UL << 30 ? (128UL, 32UL)
            : (255UL, 63UL);
        ulong cylinders = capacitySectors / (heads * sectors);
        if (adapter == "ide") cylinders = Math.Min(cylinders, 16383);
        return (cylinders, heads, sectors);
    }

    public static int CountSignatures(string text) =>
        text.Split('\n').Count(l => l.TrimEnd('\r').TrimEnd() == Signature);

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "...";

    [GeneratedRegex("^[0-9a-fA-F]{8}$", RegexOptions.CultureInvariant)]
    private static partial Regex HexId();
}
