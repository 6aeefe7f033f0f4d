using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// qed create options as bdrv_qed_co_create_opts turns them into BlockdevCreateOptionsQed: the backing format
/// must name a driver qemu knows, and the cluster and table sizes are narrowed to the header's 32-bit fields as
/// qemu narrows them (a cluster_size of 4 GiB + 64 KiB is a 64 KiB cluster in qemu too).
/// </summary>
/// <param name="L1Offset">The L1 table's offset: the cluster size as given, before narrowing (as in qemu).</param>
internal sealed record QedCreateOptions(uint ClusterSize, uint TableSize, ulong L1Offset, string? BackingFile, string? BackingFormat)
{
    public static QedCreateOptions Parse(OptionValues o)
    {
        string? backingFmt = o.GetString("backing_fmt");
        if (backingFmt is not null && !QemuDriverNames.IsKnown(backingFmt))
            throw new ImageException($"Parameter 'backing-fmt' does not accept value '{backingFmt}'");
        long clusterSize = o.GetSize("cluster_size") ?? QedHeader.DefaultClusterSize;
        long tableSize = o.GetSize("table_size") ?? QedHeader.DefaultTableSize;
        return new QedCreateOptions(unchecked((uint)clusterSize), unchecked((uint)tableSize), (ulong)clusterSize, o.GetString("backing_file"), backingFmt);
    }

    /// <summary>bdrv_qed_co_create's checks, in its order, with its messages.</summary>
    public void Validate(ulong size)
    {
        if (!QedHeader.IsClusterSizeValid(ClusterSize))
            throw new ImageException($"QED cluster size must be within range [{QedHeader.MinClusterSize}, {QedHeader.MaxClusterSize}] and power of 2");
        if (!QedHeader.IsTableSizeValid(TableSize))
            throw new ImageException($"QED table size must be within range [{QedHeader.MinTableSize}, {QedHeader.MaxTableSize}] and power of 2");
        if (!QedHeader.IsImageSizeValid(size, ClusterSize, TableSize))
            throw new ImageException("QED image size must be a non-zero multiple of cluster size and less than " +
                $"{QedHeader.MaxImageSize(ClusterSize, TableSize)} bytes");
    }
}
