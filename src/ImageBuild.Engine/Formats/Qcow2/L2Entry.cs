namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>qemu's QCow2SubclusterType: what an L2 entry (and, with extended L2, its bitmap) says about a subcluster.</summary>
internal enum SubclusterType
{
    Normal,
    Compressed,
    ZeroPlain,
    ZeroAlloc,
    UnallocatedPlain,
    UnallocatedAlloc,
    Invalid,
}

/// <summary>Bit layout of L1/L2 entries and the subcluster classification (qcow2_get_subcluster_type).</summary>
internal static class L2Entry
{
    public const ulong Copied = 1UL << 63;
    public const ulong CompressedFlag = 1UL << 62;
    public const ulong ZeroFlag = 1;
    public const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00UL;
    public const ulong L1OffsetMask = 0x00FF_FFFF_FFFF_FE00UL;
    public const ulong L1ReservedMask = 0x7F00_0000_0000_01FFUL;
    public const ulong L2ReservedMask = 0x3F00_0000_0000_01FEUL;
    public const uint AllAlloc = 0xFFFF_FFFFu;
    public const ulong AllZeroes = 0xFFFF_FFFFUL << 32;

    /// <summary>Type of the whole cluster (qcow2_get_cluster_type), ignoring subclusters.</summary>
    public static SubclusterType ClusterType(ulong entry, bool hasDataFile)
    {
        if ((entry & CompressedFlag) != 0) return SubclusterType.Compressed;
        // The zero flag comes first: with offset 0 it is a plain zero cluster even in an image with a data file
        // (qemu 7.2's qcow2_get_cluster_type), where COPIED and offset 0 otherwise name host cluster 0.
        if ((entry & ZeroFlag) != 0 && (entry & OffsetMask) == 0)
            return SubclusterType.ZeroPlain;
        if ((entry & ZeroFlag) != 0) return SubclusterType.ZeroAlloc;
        if ((entry & OffsetMask) != 0 || (hasDataFile && (entry & Copied) != 0)) return SubclusterType.Normal;
        return SubclusterType.UnallocatedPlain;
    }

    /// <summary>Type of subcluster <paramref name="sc"/> (extended: bitmap decides; standard: sc is 0).</summary>
    public static SubclusterType Type(ulong entry, ulong bitmap, int sc, bool extended, bool hasDataFile)
    {
        if ((entry & CompressedFlag) != 0)
            return SubclusterType.Compressed;
        if (!extended)
            return ClusterType(entry, hasDataFile);
        uint alloc = (uint)bitmap, zero = (uint)(bitmap >> 32);
        if ((alloc & zero) != 0) return SubclusterType.Invalid;
        bool hasOffset = (entry & OffsetMask) != 0 || (hasDataFile && (entry & Copied) != 0);
        uint bit = 1u << sc;
        if (hasOffset)
        {
            if ((zero & bit) != 0) return SubclusterType.ZeroAlloc;
            if ((alloc & bit) != 0) return SubclusterType.Normal;
            return SubclusterType.UnallocatedAlloc;
        }
        if (alloc != 0) return SubclusterType.Invalid;
        return (zero & bit) != 0 ? SubclusterType.ZeroPlain : SubclusterType.UnallocatedPlain;
    }

    /// <summary>
    /// How many subclusters from <paramref name="scFrom"/> share the type of <paramref name="scFrom"/>
    /// (qcow2_get_subcluster_range_type); 1 cluster-worth for standard entries.
    /// </summary>
    public static int RangeCount(SubclusterType type, ulong bitmap, int scFrom, int perCluster)
    {
        if (perCluster == 1 || type == SubclusterType.Compressed)
            return perCluster - scFrom;
        uint alloc = (uint)bitmap, zero = (uint)(bitmap >> 32);
        uint val = type switch
        {
            SubclusterType.Normal => ~alloc,
            SubclusterType.ZeroPlain or SubclusterType.ZeroAlloc => ~zero,
            _ => alloc | zero,
        };
        val >>= scFrom;
        return val == 0 ? 32 - scFrom : System.Numerics.BitOperations.TrailingZeroCount(val);
    }
}

/// <summary>The host location of a compressed cluster, decoded from a compressed L2 entry.</summary>
internal readonly record struct CompressedDescriptor(long HostOffset, int Length)
{
    /// <summary>
    /// Bits 0..x-1 hold the host byte offset, bits x..61 the number of additional 512-byte sectors, where
    /// x = 62 - (cluster_bits - 8). The stored data is read as ((sectors + 1) * 512 - (offset &amp; 511)) bytes.
    /// </summary>
    public static CompressedDescriptor Decode(ulong entry, int clusterBits)
    {
        int shift = 62 - (clusterBits - 8);
        ulong offsetMask = (1UL << shift) - 1;
        ulong sizeMask = (1UL << (clusterBits - 8)) - 1;
        long offset = (long)(entry & offsetMask);
        long sectors = (long)((entry >> shift) & sizeMask) + 1;
        int length = (int)(sectors * 512 - (offset & 511));
        return new CompressedDescriptor(offset, length);
    }

    public static ulong Encode(long hostOffset, int compressedLength, int clusterBits)
    {
        int shift = 62 - (clusterBits - 8);
        long sectors = ((hostOffset + compressedLength - 1) >> 9) - (hostOffset >> 9);
        return L2Entry.CompressedFlag | ((ulong)sectors << shift) | (ulong)hostOffset;
    }

    /// <summary>First and last host cluster the stored data touches (refcounted per cluster).</summary>
    public (long First, long Last) HostClusters(int clusterBits)
    {
        long first = HostOffset >> clusterBits;
        // qemu counts the clusters touched by the 512-aligned sector range.
        long end = ((HostOffset & ~511L) + ((long)Length + (HostOffset & 511))) - 1;
        return (first, end >> clusterBits);
    }
}
