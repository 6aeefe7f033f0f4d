using H = ImageBuild.Engine.Tests.Vmdk.Spec.SparseExtentHeader;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>The sparse extent header's own rules (section "Hosted Sparse Extent Header" and the extent layout).</summary>
public static class HeaderRules
{
    private const ulong MaxWalkableGrain = 1UL << 32;
    private const uint KnownFlags = H.FlagNewlineTest | H.FlagRedundant | H.FlagZeroedGrain | H.FlagCompressed | H.FlagMarkers;

    /// <summary>Checks <paramref name="h"/>; returns false when the header is too broken to walk its tables.</summary>
    public static bool Check(H h, ExtentFile file, long at, Findings f)
    {
        string p = file.Path;
        if (!f.Require(h.Magic == H.MagicNumber, VmdkRules.Magic, p, at, $"magic 0x{h.Magic:x8}")) return false;
        f.Require(h.Version is 1 or 2 or 3, VmdkRules.Version, p, at + H.At.Version, $"version {h.Version}");
        f.Require(h.Has(H.FlagNewlineTest), VmdkRules.NewlineFlag, p, at + H.At.Flags, $"flags 0x{h.Flags:x}");
        if (h.Has(H.FlagNewlineTest))
            f.Require(h is { SingleEndLineChar: (byte)'\n', NonEndLineChar: (byte)' ', DoubleEndLineChar1: (byte)'\r', DoubleEndLineChar2: (byte)'\n' },
                VmdkRules.NewlineChars, p, at + H.At.NewlineChars,
                $"check characters {h.SingleEndLineChar:x2} {h.NonEndLineChar:x2} {h.DoubleEndLineChar1:x2} {h.DoubleEndLineChar2:x2}");
        f.Require((h.Flags & ~KnownFlags) == 0, VmdkRules.UnknownFlags, p, at + H.At.Flags, $"flags 0x{h.Flags:x}");
        if (h.Has(H.FlagZeroedGrain))
            f.Require(h.Version >= 2, VmdkRules.ZeroedGrainVersion, p, at + H.At.Version, $"version {h.Version} with flags 0x{h.Flags:x}");
        bool grainOk = f.Require(h.GrainSize >= 8 && ulong.IsPow2(h.GrainSize), VmdkRules.GrainSize, p, at + H.At.GrainSize, $"grainSize {h.GrainSize}");
        if (grainOk)
            f.Require(h.Capacity % h.GrainSize == 0, VmdkRules.CapacityGrains, p, at + H.At.Capacity, $"capacity {h.Capacity} with grainSize {h.GrainSize}");
        bool gtOk = f.Require(h.NumGtesPerGt == 512, VmdkRules.GtesPerGt, p, at + H.At.NumGtesPerGt, $"numGTEsPerGT {h.NumGtesPerGt}");
        CheckDescriptorArea(h, file, at, f);
        CheckDirectoryOrder(h, file, at, f);
        if (grainOk)
            f.Require(h.OverHead % h.GrainSize == 0, VmdkRules.Overhead, p, at + H.At.OverHead, $"overHead {h.OverHead} with grainSize {h.GrainSize}");
        f.Require(h.CompressAlgorithm is 0 or 1 && h.Has(H.FlagCompressed) == (h.CompressAlgorithm == 1),
            VmdkRules.Compression, p, at + H.At.CompressAlgorithm, $"compressAlgorithm {h.CompressAlgorithm} with flags 0x{h.Flags:x}");
        f.Require(h.UncleanShutdown == 0, VmdkRules.Unclean, p, at + H.At.UncleanShutdown, $"uncleanShutdown {h.UncleanShutdown}");
        if (h.Has(H.FlagMarkers) || h.Version == 3)
        {
            f.Require(h.Version == 3 && h.Has(H.FlagCompressed) && h.Has(H.FlagMarkers), VmdkRules.StreamVersion, p, at + H.At.Version,
                $"version {h.Version}, flags 0x{h.Flags:x}");
            f.Require(h.CompressAlgorithm == 1, VmdkRules.StreamCompress, p, at + H.At.CompressAlgorithm, $"compressAlgorithm {h.CompressAlgorithm}");
        }
        // Walking needs table arithmetic that cannot overflow; qemu itself refuses grains over 0x200000 sectors.
        return grainOk && gtOk && h.Capacity > 0 && h.GrainSize <= MaxWalkableGrain;
    }

    private static void CheckDescriptorArea(H h, ExtentFile file, long at, Findings f)
    {
        if (h.DescriptorOffset == 0 && h.DescriptorSize == 0) return;
        bool ok = h.DescriptorOffset >= 1 && h.DescriptorSize >= 1 && file.HoldsSectors(h.DescriptorOffset, h.DescriptorSize);
        ulong end = h.DescriptorOffset + h.DescriptorSize;
        if (ok && h.GdOffset != H.GdAtEnd && h.GdOffset != 0) ok = end <= h.GdOffset;
        if (ok && h.RgdOffset != 0) ok = end <= h.RgdOffset;
        f.Require(ok, VmdkRules.Descriptor, file.Path, at + H.At.DescriptorOffset,
            $"descriptorOffset {h.DescriptorOffset}, descriptorSize {h.DescriptorSize}, rgdOffset {h.RgdOffset}, gdOffset {h.GdOffset}, file {file.Sectors} sectors");
    }

    private static void CheckDirectoryOrder(H h, ExtentFile file, long at, Findings f)
    {
        if (!h.Has(H.FlagRedundant)) return;
        bool ok = h.RgdOffset != 0 && (h.GdOffset == H.GdAtEnd || h.RgdOffset < h.GdOffset);
        f.Require(ok, VmdkRules.GdOrder, file.Path, at + H.At.RgdOffset, $"rgdOffset {h.RgdOffset}, gdOffset {h.GdOffset}");
    }
}
