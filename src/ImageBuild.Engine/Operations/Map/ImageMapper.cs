using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img map's walk: per offset, descends the backing chain layer by layer until one reports data or zero,
/// then coalesces neighbouring extents that share every attribute and continue in the same host file.
/// </summary>
public static class ImageMapper
{
    /// <summary>
    /// The extents of [start, min(start+maxLength, size)) in the order qemu prints them. With
    /// <paramref name="humanCoalescing"/>, after each returned extent the next one is treated as plain zero when
    /// it has no data or is zero (qemu's human output ignores that distinction, which lets more extents merge).
    /// The last extent is returned even when empty (start past the end), as qemu prints it in JSON.
    /// </summary>
    public static IEnumerable<MapEntry> Map(BlockDevice device, long start, long? maxLength, bool humanCoalescing)
    {
        long length = device.VirtualSize;
        if (maxLength is { } max)
            length = Math.Min(start > long.MaxValue - max ? long.MaxValue : start + max, length);

        var curr = new MapEntry(start, 0, 0, false, false, false, false, null, null);
        while (curr.Start + curr.Length < length)
        {
            long offset = curr.Start + curr.Length;
            MapEntry next = GetBlockStatus(device, offset, length - offset);
            if (Mergeable(curr, next))
            {
                curr = curr with { Length = curr.Length + next.Length };
                continue;
            }
            if (curr.Length > 0)
            {
                yield return curr;
                if (humanCoalescing && (!next.Data || next.Zero))
                    next = next with { Data = false, Zero = true };
            }
            curr = next;
        }
        yield return curr;
    }

    /// <summary>qemu-img's get_block_status: the status of [offset, offset+bytes) through the chain.</summary>
    public static MapEntry GetBlockStatus(BlockDevice device, long offset, long bytes)
    {
        int depth = 0;
        BlockDevice? layer = device;
        BlockStatus st;
        while (true)
        {
            st = BlockLayer.GetStatus(layer, offset, bytes);
            if (st.Length <= 0)
                throw new ImageException($"Could not read file metadata: no block status at offset {offset} of '{layer.Filename}'");
            bytes = st.Length;
            if ((st.Flags & (BlockStatusFlags.Zero | BlockStatusFlags.Data)) != 0)
                break;
            BlockDevice? below = layer.Backing;
            if (below is null)
            {
                st = st with { Flags = BlockStatusFlags.None };
                break;
            }
            layer = below;
            depth++;
        }

        bool hasOffset = st.HasOffset;
        return new MapEntry(
            offset, bytes, depth,
            Present: st.IsAllocated,
            Zero: st.IsZero,
            Data: st.IsData,
            Compressed: st.IsCompressed,
            Offset: hasOffset ? st.HostOffset : null,
            Filename: hasOffset ? st.HostFile?.Path : null);
    }

    /// <summary>qemu's entry_mergeable.</summary>
    public static bool Mergeable(MapEntry curr, MapEntry next)
    {
        if (curr.Length == 0)
            return false;
        if (curr.Zero != next.Zero || curr.Data != next.Data || curr.Depth != next.Depth || curr.Present != next.Present ||
            (curr.Filename is null) != (next.Filename is null) || curr.Offset.HasValue != next.Offset.HasValue)
            return false;
        if (curr.Filename is not null && curr.Filename != next.Filename)
            return false;
        if (curr.Offset is { } o && o + curr.Length != next.Offset)
            return false;
        return true;
    }
}
