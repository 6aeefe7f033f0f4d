namespace ImageBuild.Engine.Formats.Qcow;

/// <summary>
/// One qcow L2 entry (big-endian u64 in the table). 0: unallocated (reads from the backing file, or zeros).
/// Bit 63 clear: the host offset of the cluster. Bit 63 set (QCOW_OFLAG_COMPRESSED): a raw deflate stream whose
/// host offset is in bits 0..62-cluster_bits and whose length in bytes is in the cluster_bits bits above it.
/// </summary>
internal readonly record struct QcowL2Entry(ulong Raw)
{
    public const ulong CompressedFlag = 1UL << 63;

    public bool IsUnallocated => Raw == 0;

    public bool IsCompressed => (Raw & CompressedFlag) != 0;

    /// <summary>Allocated and stored as is: the entry is the host offset.</summary>
    public bool IsNormal => Raw != 0 && !IsCompressed;

    /// <summary>Host offset of a normal cluster (the whole entry, as qemu uses it).</summary>
    public ulong HostOffset => Raw;

    /// <summary>Host offset of a compressed stream (qemu's cluster_offset_mask).</summary>
    public ulong CompressedOffset(int clusterBits) => Raw & ((1UL << (63 - clusterBits)) - 1);

    /// <summary>Bytes of the compressed stream (qemu reads exactly this many).</summary>
    public int CompressedSize(int clusterBits) => (int)((Raw >> (63 - clusterBits)) & ((1UL << clusterBits) - 1));

    /// <summary>The entry for a compressed stream of <paramref name="size"/> bytes (&lt; cluster size) at <paramref name="hostOffset"/>.</summary>
    public static QcowL2Entry Compressed(long hostOffset, int size, int clusterBits) =>
        new(CompressedFlag | ((ulong)size << (63 - clusterBits)) | (ulong)hostOffset);

    /// <summary>Whether a compressed stream can start at <paramref name="hostOffset"/> (it must fit in the offset bits).</summary>
    public static bool CompressedOffsetFits(long hostOffset, int clusterBits) => (ulong)hostOffset < 1UL << (63 - clusterBits);
}
