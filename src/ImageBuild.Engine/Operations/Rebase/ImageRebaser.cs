using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img rebase. Safe mode copies into the overlay exactly the ranges it does not allocate itself where the
/// old backing chain and the new backing file read differently, then changes the header; so the overlay reads
/// the same before and after. Unsafe mode only changes the header.
/// </summary>
public static class ImageRebaser
{
    private const int BufferSize = 2 << 20;
    private const int Sector = 512;

    public static void Rebase(ImageContext context, RebaseRequest request)
    {
        string? newBacking = request.BackingFile.Length == 0 ? null : request.BackingFile;
        using var top = ImageOpener.Open(context, request.Filename,
            new OpenOptions { Format = request.Format, Writable = true, NoBacking = request.Unsafe });
        if (request.BackingFormat is { } fmt && !QemuDriverNames.IsKnown(fmt))
            throw new ImageException($"Invalid format name: '{fmt}'");

        if (!request.Unsafe)
        {
            BlockDevice? newDev = null;
            if (newBacking is not null)
            {
                string resolved = ImageOpener.ResolveBackingName(request.Filename, newBacking);
                try { newDev = ImageOpener.OpenNode(context, resolved, new OpenOptions { Format = request.BackingFormat }); }
                catch (ImageException e)
                {
                    throw new ImageException($"Could not open new backing file '{newBacking}': {e.Message}", e);
                }
            }
            using (newDev)
                CopyDifferences(top, newDev, request.Progress);
        }

        if (newBacking is not null && request.BackingFormat is null)
            throw new ImageException($"Could not change the backing file to '{newBacking}': backing format must be specified");
        try
        {
            top.ChangeBackingFile(newBacking, newBacking is null ? null : request.BackingFormat);
        }
        catch (ImageException e)
        {
            throw new ImageException($"Could not change the backing file to '{newBacking ?? ""}': {e.Message}", e);
        }
        top.Flush();
    }

    private static void CopyDifferences(BlockDevice top, BlockDevice? newBacking, Action<double>? progress)
    {
        long size = top.VirtualSize;
        BlockDevice? oldBacking = top.Backing;
        byte[] oldBuf = GC.AllocateUninitializedArray<byte>(BufferSize);
        byte[] newBuf = GC.AllocateUninitializedArray<byte>(BufferSize);
        progress?.Invoke(0);
        for (long off = 0; off < size;)
        {
            int n = (int)Math.Min(BufferSize, size - off);
            BlockStatus st = BlockLayer.GetStatus(top, off, n);
            n = (int)st.Length;
            if (!st.IsAllocated)
            {
                ReadLayer(oldBacking, off, oldBuf.AsSpan(0, n));
                ReadLayer(newBacking, off, newBuf.AsSpan(0, n));
                WriteDifferingRuns(top, off, oldBuf.AsSpan(0, n), newBuf.AsSpan(0, n));
            }
            off += n;
            progress?.Invoke(100.0 * off / size);
        }
    }

    /// <summary>Reads a backing layer, zeros where there is none or past its end.</summary>
    private static void ReadLayer(BlockDevice? layer, long offset, Span<byte> dest)
    {
        long avail = layer is null ? 0 : Math.Max(0, layer.VirtualSize - offset);
        int n = (int)Math.Min(avail, dest.Length);
        if (n > 0) layer!.Read(offset, dest[..n]);
        dest[n..].Clear();
    }

    /// <summary>Writes the old chain's bytes into the overlay for every run of sectors where old and new differ.</summary>
    private static void WriteDifferingRuns(BlockDevice top, long offset, ReadOnlySpan<byte> oldData, ReadOnlySpan<byte> newData)
    {
        int pos = 0;
        while (pos < oldData.Length)
        {
            int common = oldData[pos..].CommonPrefixLength(newData[pos..]);
            pos += common / Sector * Sector;
            if (pos >= oldData.Length) break;
            int end = pos;
            while (end < oldData.Length)
            {
                int len = Math.Min(Sector, oldData.Length - end);
                if (oldData.Slice(end, len).SequenceEqual(newData.Slice(end, len))) break;
                end += len;
            }
            top.Write(offset + pos, oldData[pos..end]);
            pos = end;
        }
    }
}
