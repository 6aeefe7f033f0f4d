using System.Numerics;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// The address arithmetic of a validated header (qemu's table_nelems, l1_shift, l2_shift, l2_mask and the inline
/// helpers of qed.h), with the length of the file the image lives in rounded down to whole clusters (s->file_size).
/// </summary>
internal sealed class QedLayout
{
    public QedLayout(uint clusterSize, uint tableSize, uint headerSize)
    {
        ClusterSize = clusterSize;
        TableSize = tableSize;
        HeaderSize = headerSize;
        TableBytes = (long)clusterSize * tableSize;
        TableEntries = (int)(TableBytes / sizeof(ulong));
        L2Shift = BitOperations.TrailingZeroCount(clusterSize);
        L1Shift = L2Shift + BitOperations.TrailingZeroCount(TableEntries);
    }

    public uint ClusterSize { get; }
    public uint TableSize { get; }
    public uint HeaderSize { get; }

    /// <summary>Bytes of one table (L1 or L2): table_size clusters.</summary>
    public long TableBytes { get; }

    /// <summary>Entries of one table (table_nelems).</summary>
    public int TableEntries { get; }

    public int L2Shift { get; }
    public int L1Shift { get; }

    /// <summary>Guest bytes one L2 table maps.</summary>
    public long L2Coverage => 1L << L1Shift;

    public ulong StartOfCluster(ulong offset) => offset & ~(ulong)(ClusterSize - 1);
    public long StartOfCluster(long offset) => offset & ~(long)(ClusterSize - 1);
    public long OffsetIntoCluster(long offset) => offset & (ClusterSize - 1);

    /// <summary>Clusters needed for <paramref name="bytes"/>, rounded up.</summary>
    public long ClustersFor(long bytes) => (bytes + ClusterSize - 1) >> L2Shift;

    /// <summary>
    /// qed_bytes_to_clusters exactly as qemu computes it: the cluster-rounded byte count divided by
    /// cluster_size - 1, so that every (cluster_size - 1)th cluster counts one more. check's cluster bitmap uses
    /// this numbering, which gives images of that many clusters leaks qemu reports too.
    /// </summary>
    public ulong QemuBytesToClusters(ulong bytes) =>
        StartOfCluster(bytes + (ClusterSize - 1)) / (ClusterSize - 1);

    public int L1Index(long pos) => (int)(pos >> L1Shift);
    public int L2Index(long pos) => (int)((pos >> L2Shift) & (TableEntries - 1));

    /// <summary>qed_check_cluster_offset: cluster aligned, past the header, inside the file.</summary>
    public bool IsValidClusterOffset(ulong offset, long fileSize)
    {
        ulong headerBytes = (ulong)HeaderSize * ClusterSize;
        return (offset & (ClusterSize - 1)) == 0 && offset >= headerBytes && offset < (ulong)fileSize;
    }

    /// <summary>
    /// qed_check_table_offset: the first and last cluster of the table are valid cluster offsets. As in qemu, the
    /// last cluster must lie past the first, so that a table of one cluster never passes (table_size 1 images
    /// can be created but not opened).
    /// </summary>
    public bool IsValidTableOffset(ulong offset, long fileSize)
    {
        ulong end = unchecked(offset + (ulong)(TableSize - 1) * ClusterSize);
        if (end <= offset) return false;
        return IsValidClusterOffset(offset, fileSize) && IsValidClusterOffset(end, fileSize);
    }
}
