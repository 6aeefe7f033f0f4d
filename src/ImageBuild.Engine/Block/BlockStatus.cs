using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Block;

/// <summary>
/// What a driver says about the start of a range in its own layer (qemu's bdrv_co_block_status
/// driver callback): the flags hold for [offset, offset+Length).
/// </summary>
/// <param name="Length">Bytes from the queried offset that share this status (&gt; 0).</param>
/// <param name="Flags">Data / Zero / OffsetValid / Compressed / Recurse. Allocated is derived by the block layer.</param>
/// <param name="HostOffset">Where the range starts in <paramref name="HostFile"/> when OffsetValid.</param>
/// <param name="HostFile">The host file holding the bytes when OffsetValid (data file for qcow2 with data_file).</param>
public readonly record struct DriverStatus(long Length, BlockStatusFlags Flags, long HostOffset = 0, HostFile? HostFile = null)
{
    public static DriverStatus Unallocated(long length) => new(length, BlockStatusFlags.None);
}

/// <summary>The block status of a range as the block layer reports it (qemu's bdrv_block_status[_above]).</summary>
/// <param name="Offset">Guest offset the status starts at.</param>
/// <param name="Length">Bytes sharing this status.</param>
/// <param name="Flags">Status flags, Allocated included.</param>
/// <param name="HostOffset">Host offset when OffsetValid.</param>
/// <param name="HostFile">Host file when OffsetValid.</param>
/// <param name="Depth">How many backing layers were descended before the answering layer (0 = the queried device).</param>
/// <param name="Layer">The layer that answered.</param>
public readonly record struct BlockStatus(
    long Offset, long Length, BlockStatusFlags Flags, long HostOffset, HostFile? HostFile, int Depth, BlockDevice Layer)
{
    public bool IsData => (Flags & BlockStatusFlags.Data) != 0;
    public bool IsZero => (Flags & BlockStatusFlags.Zero) != 0;
    public bool IsAllocated => (Flags & BlockStatusFlags.Allocated) != 0;
    public bool HasOffset => (Flags & BlockStatusFlags.OffsetValid) != 0;
    public bool IsCompressed => (Flags & BlockStatusFlags.Compressed) != 0;
    public long End => Offset + Length;
}
