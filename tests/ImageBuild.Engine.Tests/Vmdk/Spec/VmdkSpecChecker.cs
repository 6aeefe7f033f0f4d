using System.Text;
using H = ImageBuild.Engine.Tests.Vmdk.Spec.SparseExtentHeader;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>
/// Checks a VMDK (a sparse extent with its embedded descriptor, or a descriptor file and its extents) against the rules of
/// VMware's "Virtual Disk Format 5.0" (see <see cref="VmdkRules"/>) and lists every rule it breaks. Test code: it reads,
/// never repairs, and bounds every read by the file's size.
/// </summary>
public static class VmdkSpecChecker
{
    private const int MaxDescriptorFile = 1 << 20;

    public static IReadOnlyList<SpecViolation> Check(string path)
    {
        var f = new Findings();
        using (var file = new ExtentFile(path))
        {
            byte[] head = file.Read(0, 512);
            if (head.Length >= 4 && BitConverter.ToUInt32(head) == H.MagicNumber)
                CheckMonolithic(file, f);
            else
                CheckDescriptorFile(file, f);
        }
        return f.List;
    }

    /// <summary>The ids of the rules <paramref name="path"/> breaks, sorted and distinct.</summary>
    public static IReadOnlyList<string> BrokenRules(string path) =>
        Check(path).Select(v => v.Rule.Id).Distinct().Order(StringComparer.Ordinal).ToList();

    private static void CheckMonolithic(ExtentFile file, Findings f)
    {
        var h = CheckSparseExtent(file, f);
        if (h is null || h.DescriptorSize == 0 || !file.HoldsSectors(h.DescriptorOffset, h.DescriptorSize)) return;
        long at = (long)h.DescriptorOffset * 512;
        byte[] area = file.Read(at, (int)Math.Min(h.DescriptorSize * 512, MaxDescriptorFile));
        int nul = Array.IndexOf(area, (byte)0);
        int textEnd = nul < 0 ? area.Length : nul;
        var d = Descriptor.Parse(Encoding.Latin1.GetString(area, 0, textEnd));
        DescriptorRules.Check(d, file.Path, at, f);
        CheckPadding(area, textEnd, file.Path, at, f);
        f.Require(d.ExtentSectors == h.Capacity, VmdkRules.ExtentSum, file.Path, at,
            $"extents total {d.ExtentSectors} sectors, header capacity {h.Capacity}");
        if (h.Has(H.FlagMarkers))
            f.Require(d.Field("createType") == "streamOptimized", VmdkRules.StreamCreateType, file.Path, at, $"createType={d.Field("createType")}");
        else
            f.Require(d.Field("createType") is not "streamOptimized", VmdkRules.StreamCreateType, file.Path, at, "createType=streamOptimized without markers");
    }

    private static void CheckDescriptorFile(ExtentFile file, Findings f)
    {
        if (!f.Require(file.Length <= MaxDescriptorFile, VmdkRules.FirstLine, file.Path, 0, $"neither a sparse extent nor a descriptor ({file.Length} bytes)"))
            return;
        byte[] all = file.Read(0, (int)file.Length);
        int nul = Array.IndexOf(all, (byte)0);
        int textEnd = nul < 0 ? all.Length : nul;
        var d = Descriptor.Parse(Encoding.Latin1.GetString(all, 0, textEnd));
        DescriptorRules.Check(d, file.Path, 0, f);
        CheckPadding(all, textEnd, file.Path, 0, f);
        string dir = Path.GetDirectoryName(Path.GetFullPath(file.Path))!;
        foreach (var e in d.Extents.Where(e => !string.IsNullOrEmpty(e.FileName)))
        {
            string extentPath = Path.Combine(dir, e.FileName!);
            if (!f.Require(File.Exists(extentPath), VmdkRules.ExtentFile, file.Path, 0, $"extent file \"{e.FileName}\" is missing"))
                continue;
            using var extent = new ExtentFile(extentPath);
            if (e.Type == "SPARSE")
            {
                var h = CheckSparseExtent(extent, f);
                if (h is null) continue;
                f.Require(h.DescriptorOffset == 0, VmdkRules.NotEmbedded, extentPath, H.At.DescriptorOffset,
                    $"descriptorOffset {h.DescriptorOffset}, descriptorSize {h.DescriptorSize} in an extent of descriptor file {Path.GetFileName(file.Path)}");
                f.Require(h.Capacity == e.Sectors, VmdkRules.ExtentSum, extentPath, H.At.Capacity,
                    $"header capacity {h.Capacity}, extent line {e.Sectors} sectors");
                f.Require(h.Has(H.FlagMarkers) == (d.Field("createType") == "streamOptimized"), VmdkRules.StreamCreateType, file.Path, 0,
                    $"createType={d.Field("createType")} with a {(h.Has(H.FlagMarkers) ? "" : "non-")}stream extent");
            }
            else if (e.Type == "FLAT")
            {
                ulong need = (e.Offset ?? 0) + e.Sectors;
                f.Require(extent.HoldsSectors(0, need), VmdkRules.ExtentFile, extentPath, null,
                    $"flat file of {extent.Sectors} sectors for offset {e.Offset ?? 0} + {e.Sectors} sectors");
            }
        }
    }

    /// <summary>After the descriptor text's terminating NUL only NULs may follow (no second or stale descriptor).</summary>
    private static void CheckPadding(byte[] area, int textEnd, string path, long at, Findings f)
    {
        int stray = area.AsSpan(textEnd).Length - area.AsSpan(textEnd).Count((byte)0);
        f.Require(stray == 0, VmdkRules.SingleDescriptor, path, at + textEnd, $"{stray} stray bytes after the descriptor text's NUL");
    }

    /// <summary>Checks one sparse extent file's header, tables and (stream) markers; returns its header when it has one.</summary>
    private static H? CheckSparseExtent(ExtentFile file, Findings f)
    {
        byte[] head = file.Read(0, 512);
        if (!f.Require(head.Length == 512, VmdkRules.Magic, file.Path, 0, $"a {file.Length}-byte file has no sparse header")) return null;
        var h = H.Read(head);
        if (!HeaderRules.Check(h, file, 0, f)) return h.Magic == H.MagicNumber ? h : null;
        bool stream = h.Has(H.FlagMarkers);
        var effective = stream ? StreamRules.CheckFooter(h, file, f) : h;
        var mapped = effective.GdOffset == H.GdAtEnd ? null : GrainTableRules.Check(effective, effective.GdOffset, file, f, stream);
        if (mapped is not null && h.Has(H.FlagRedundant) && h.RgdOffset != 0)
            GrainTableRules.CheckRedundant(effective with { RgdOffset = h.RgdOffset }, mapped, file, f);
        if (stream)
        {
            var markers = StreamRules.Walk(h, file, f);
            if (mapped is not null) StreamRules.CheckGtes(mapped, markers, file, f);
        }
        return h;
    }
}
