using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// The block allocation table (VHDX 1.0 §2.5): little-endian u64 entries; after every chunk_ratio payload entries
/// comes one sector bitmap entry (chunk_ratio = 2^23 · logical sector size / block size, §2.5). A 64 TiB image with
/// 1 MiB blocks has a 512 MiB table, so it is read in 64 KiB pages as they are needed, a bounded number kept.
/// </summary>
internal sealed class VhdxBat
{
    private const int PageBytes = 64 << 10;
    private const int EntriesPerPage = PageBytes / 8;
    private const int MaxCachedPages = 512;

    private readonly VhdxFileView _file;
    private readonly Dictionary<long, byte[]> _pages = [];
    private long _lastPageIndex = -1;
    private byte[]? _lastPage;

    public VhdxBat(VhdxFileView file, long offset, long entries, long chunkRatio)
    {
        _file = file;
        Offset = offset;
        Count = entries;
        ChunkRatio = chunkRatio;
    }

    /// <summary>File offset of the table (the BAT region's).</summary>
    public long Offset { get; }

    /// <summary>Entries in use (qemu's bat_entries).</summary>
    public long Count { get; }

    public long ChunkRatio { get; }

    /// <summary>The BAT index of payload block <paramref name="block"/> (qemu's vhdx_block_translate).</summary>
    public long PayloadIndex(long block) => block + block / ChunkRatio;

    /// <summary>The BAT index of the sector bitmap entry of the chunk holding payload block <paramref name="block"/>.</summary>
    public long BitmapIndex(long block) => (block / ChunkRatio) * (ChunkRatio + 1) + ChunkRatio;

    public ulong this[long index]
    {
        get
        {
            if ((ulong)index >= (ulong)Count)
                return 0;
            byte[] page = Page(index / EntriesPerPage);
            return BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan((int)(index % EntriesPerPage) * 8));
        }
    }

    /// <summary>Changes an entry in memory (its sector reaches the file through the log).</summary>
    public void Set(long index, ulong value)
    {
        byte[] page = Page(index / EntriesPerPage);
        BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan((int)(index % EntriesPerPage) * 8), value);
    }

    /// <summary>The 4 KiB of the table holding entry <paramref name="index"/>, as now in memory, and its file offset.</summary>
    public (long FileOffset, byte[] Sector) SectorOf(long index)
    {
        long byteInTable = index * 8 & ~4095L;
        byte[] page = Page(byteInTable / PageBytes);
        var sector = page.AsSpan((int)(byteInTable % PageBytes), 4096).ToArray();
        return (Offset + byteInTable, sector);
    }

    /// <summary>Forgets the cached page holding <paramref name="index"/> (after a failed update), so it is read again.</summary>
    public void Forget(long index)
    {
        _pages.Remove(index / EntriesPerPage);
        _lastPageIndex = -1;
        _lastPage = null;
    }

    /// <summary>Visits every entry in order, reading the table in pages without keeping them.</summary>
    public void Scan(Action<long, ulong> visit)
    {
        var buffer = new byte[PageBytes];
        for (long start = 0; start < Count; start += EntriesPerPage)
        {
            int n = (int)Math.Min(EntriesPerPage, Count - start);
            if (_pages.TryGetValue(start / EntriesPerPage, out var cached))
                cached.AsSpan(0, n * 8).CopyTo(buffer);
            else
                _file.Read(Offset + start * 8, buffer.AsSpan(0, n * 8));
            for (int i = 0; i < n; i++)
                visit(start + i, BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(i * 8)));
        }
    }

    private byte[] Page(long pageIndex)
    {
        if (pageIndex == _lastPageIndex)
            return _lastPage!;
        if (!_pages.TryGetValue(pageIndex, out byte[]? page))
        {
            if (_pages.Count >= MaxCachedPages)
                _pages.Clear();
            page = new byte[PageBytes];
            // the region is a whole number of MiB, so a page never runs past it; past the file end it reads zeros
            _file.Read(Offset + pageIndex * PageBytes, page);
            _pages[pageIndex] = page;
        }
        _lastPageIndex = pageIndex;
        _lastPage = page;
        return page;
    }
}
