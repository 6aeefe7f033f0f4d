namespace ImageBuild.Engine.Block;

/// <summary>
/// A persistent dirty bitmap held in memory while an image is open for writing (qemu's BdrvDirtyBitmap): one bit
/// per granularity-sized chunk of the guest disk, serialized LSB-first (bit j of byte i is chunk 8i+j).
/// </summary>
public sealed class DirtyBitmap
{
    public DirtyBitmap(string name, int granularityBits, long diskSize, bool enabled)
    {
        Name = name;
        GranularityBits = granularityBits;
        Enabled = enabled;
        DiskSize = diskSize;
        Bits = new byte[BytesFor(diskSize, granularityBits)];
    }

    public string Name { get; }
    public int GranularityBits { get; }
    public long Granularity => 1L << GranularityBits;
    /// <summary>Recording writes (the on-disk "auto" flag).</summary>
    public bool Enabled { get; set; }
    public long DiskSize { get; private set; }
    public byte[] Bits { get; private set; }

    /// <summary>Number of bits for a disk of <paramref name="size"/> bytes.</summary>
    public static long BitCount(long size, int granularityBits) => (size + (1L << granularityBits) - 1) >> granularityBits;

    /// <summary>Serialized size (qemu rounds to whole 64-bit words).</summary>
    public static long BytesFor(long size, int granularityBits) => (BitCount(size, granularityBits) + 63) / 64 * 8;

    /// <summary>Sets the bits covering guest bytes [offset, offset+length).</summary>
    public void SetDirty(long offset, long length)
    {
        if (length <= 0 || offset >= DiskSize) return;
        long end = Math.Min(DiskSize, offset + length);
        long first = offset >> GranularityBits, last = (end - 1) >> GranularityBits;
        for (long b = first; b <= last;)
        {
            if ((b & 7) == 0 && last - b >= 7)
            {
                long bytes = (last - b + 1) >> 3;
                Bits.AsSpan((int)(b >> 3), (int)bytes).Fill(0xFF);
                b += bytes << 3;
                continue;
            }
            Bits[b >> 3] |= (byte)(1 << (int)(b & 7));
            b++;
        }
    }

    public void Clear() => Array.Clear(Bits);

    /// <summary>ORs another bitmap of the same granularity in (qemu's bdrv_merge_dirty_bitmap).</summary>
    public void Merge(DirtyBitmap other)
    {
        int n = Math.Min(Bits.Length, other.Bits.Length);
        for (int i = 0; i < n; i++) Bits[i] |= other.Bits[i];
        ClearTail();
    }

    /// <summary>qemu's hbitmap_truncate: growing adds clean bits, shrinking drops the bits past the end.</summary>
    public void Resize(long newSize)
    {
        var bits = new byte[BytesFor(newSize, GranularityBits)];
        Bits.AsSpan(0, Math.Min(bits.Length, Bits.Length)).CopyTo(bits);
        Bits = bits;
        DiskSize = newSize;
        ClearTail();
    }

    /// <summary>Bits past the last chunk stay clear.</summary>
    private void ClearTail()
    {
        long count = BitCount(DiskSize, GranularityBits);
        for (long b = count; b < (long)Bits.Length * 8; b++)
        {
            if ((b & 7) == 0) { Bits.AsSpan((int)(b >> 3)).Clear(); break; }
            Bits[b >> 3] &= (byte)~(1 << (int)(b & 7));
        }
    }

    public bool Any() => Bits.AsSpan().ContainsAnyExcept((byte)0);
}
