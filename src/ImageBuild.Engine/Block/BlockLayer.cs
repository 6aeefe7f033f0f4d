namespace ImageBuild.Engine.Block;

/// <summary>
/// Block status as qemu's block layer computes it (block/io.c): one layer (bdrv_block_status) and through
/// a backing chain (bdrv_block_status_above). Written once, for every format.
/// </summary>
public static class BlockLayer
{
    /// <summary>
    /// Status of [offset, offset+length) in this one layer. Length of the result is &gt; 0 unless
    /// offset is at or past the end of the device (then 0 with Eof).
    /// </summary>
    public static BlockStatus GetStatus(BlockDevice device, long offset, long length)
    {
        long size = device.VirtualSize;
        if (offset >= size)
            return new BlockStatus(offset, 0, BlockStatusFlags.Eof, 0, null, 0, device);
        length = Math.Min(length, size - offset);

        DriverStatus ds = device.GetDriverStatus(offset, length);
        long n = Math.Clamp(ds.Length, 1, length);
        var flags = ds.Flags & ~(BlockStatusFlags.Allocated | BlockStatusFlags.Eof);

        if ((flags & (BlockStatusFlags.Data | BlockStatusFlags.Zero)) != 0)
        {
            flags |= BlockStatusFlags.Allocated;
        }
        else if (device.SupportsBacking)
        {
            if (device.Backing is null)
                flags |= BlockStatusFlags.Zero;
            else if (offset >= device.Backing.VirtualSize)
                flags |= BlockStatusFlags.Zero;
        }

        // A data range mapped to a host-file hole also reads as zero (qcow2 preallocation=metadata).
        if ((flags & BlockStatusFlags.Recurse) != 0 && ds.HostFile is not null &&
            (flags & (BlockStatusFlags.Data | BlockStatusFlags.OffsetValid)) == (BlockStatusFlags.Data | BlockStatusFlags.OffsetValid) &&
            (flags & BlockStatusFlags.Zero) == 0)
        {
            var (isData, run) = ds.HostFile.GetAllocation(ds.HostOffset, n);
            if (!isData)
            {
                flags |= BlockStatusFlags.Zero;
                n = Math.Min(n, run);
            }
            else
            {
                n = Math.Min(n, Math.Max(1, run));
            }
        }
        flags &= ~BlockStatusFlags.Recurse;

        if (offset + n == size)
            flags |= BlockStatusFlags.Eof;
        return new BlockStatus(offset, n, flags, ds.HostOffset, (flags & BlockStatusFlags.OffsetValid) != 0 ? ds.HostFile : null, 0, device);
    }

    /// <summary>
    /// Status through the chain from <paramref name="top"/> down to (excluding) <paramref name="baseLayer"/>
    /// (null = the whole chain): the first layer that allocates the range answers; Depth says which.
    /// </summary>
    public static BlockStatus GetStatusAbove(BlockDevice top, BlockDevice? baseLayer, long offset, long length)
    {
        BlockStatus st = GetStatus(top, offset, length);
        if (st.Length == 0 || st.IsAllocated || top == baseLayer)
            return st;

        int depth = 0;
        long bytes = st.Length;
        for (BlockDevice? p = top.Backing; p is not null && p != baseLayer; p = p.Backing)
        {
            depth++;
            BlockStatus s = GetStatus(p, offset, bytes);
            if (s.Length == 0)
            {
                // The layer above deferred to this one, which is short: synthesised zeros count as allocated here.
                return new BlockStatus(offset, bytes, BlockStatusFlags.Zero | BlockStatusFlags.Allocated, 0, null, depth, p);
            }
            if (s.IsAllocated)
                return s with { Depth = depth };
            st = s with { Depth = depth };
            bytes = s.Length;
        }
        return st;
    }

    /// <summary>Whether a range is allocated anywhere in the chain above base (bdrv_is_allocated_above).</summary>
    public static (bool Allocated, long Length) IsAllocatedAbove(BlockDevice top, BlockDevice? baseLayer, long offset, long length)
    {
        BlockStatus st = GetStatusAbove(top, baseLayer, offset, length);
        return (st.IsAllocated, Math.Max(st.Length, 1));
    }
}
