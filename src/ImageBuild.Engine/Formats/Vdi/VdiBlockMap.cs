using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vdi;

/// <summary>
/// The block map: one little-endian u32 per block at offset_bmap, <see cref="VdiBlockEntry"/> values. qemu keeps
/// the whole map in memory (up to 2 GiB for the largest image it opens, 4 MiB per TiB); this one reads it in 64 KiB
/// pages as they are needed and keeps at most <see cref="MaxCachedPages"/> of them (1 MiB, the map of 16 TiB), so a
/// walk of the whole image (map, convert, compare, check) holds the same memory at 1 GiB and at 1 TiB.
/// Changed entries are held until <see cref="WritePending"/> writes their sectors (or <see cref="DropPending"/>
/// forgets them after a failed write), as qemu writes the modified map sectors after the data and the header.
/// </summary>
internal sealed class VdiBlockMap
{
    private const int PageBytes = 64 << 10;
    private const int EntriesPerPage = PageBytes / 4;
    internal const int MaxCachedPages = 16;

    private readonly HostFile _file;
    private readonly long _offset;
    private readonly long _bytes;
    private readonly Dictionary<long, byte[]> _pages = [];
    private long _lastPageIndex = -1;
    private byte[]? _lastPage;
    private long _pendingFirst = long.MaxValue;
    private long _pendingLast = -1;

    private VdiBlockMap(HostFile file, long offset, uint count)
    {
        _file = file;
        _offset = offset;
        Count = count;
        // qemu reads the map rounded up to whole sectors and writes those sectors back whole.
        _bytes = ((long)count * 4 + 511) & ~511L;
    }

    /// <summary>
    /// The map of <paramref name="count"/> entries at <paramref name="offset"/>. A map that reaches past the end of the
    /// file is refused (qemu reads the missing part as zeros, i.e. as entries naming block 0).
    /// </summary>
    public static VdiBlockMap Open(HostFile file, string filename, uint offset, uint count)
    {
        long length = file.Length;
        long bytes = (long)count * 4;
        if (offset + bytes > length)
            throw new ImageCorruptException(
                $"'{filename}': block map at offset {offset} ({bytes} bytes) lies past the end of the file ({length} bytes)");
        return new VdiBlockMap(file, offset, count);
    }

    /// <summary>How many pages of the map are held.</summary>
    internal int CachedPages => _pages.Count;

    /// <summary>blocks_in_image.</summary>
    public uint Count { get; }

    public uint this[long index]
    {
        get
        {
            byte[] page = Page(index / EntriesPerPage);
            return BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan((int)(index % EntriesPerPage) * 4));
        }
    }

    /// <summary>Changes an entry in memory; it reaches the file with <see cref="WritePending"/>.</summary>
    public void Set(long index, uint value)
    {
        byte[] page = Page(index / EntriesPerPage);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan((int)(index % EntriesPerPage) * 4), value);
        _pendingFirst = Math.Min(_pendingFirst, index);
        _pendingLast = Math.Max(_pendingLast, index);
    }

    public bool HasPending => _pendingLast >= 0;

    /// <summary>Writes the sectors from the first to the last changed entry, as vdi_co_pwritev does.</summary>
    public void WritePending()
    {
        if (!HasPending) return;
        long start = _pendingFirst * 4 & ~511L;
        long end = Math.Min((_pendingLast * 4 & ~511L) + 512, _bytes);
        while (start < end)
        {
            long pageIndex = start / PageBytes;
            int inPage = (int)(start % PageBytes);
            int n = (int)Math.Min(end - start, PageBytes - inPage);
            _file.Write(_offset + start, Page(pageIndex).AsSpan(inPage, n));
            start += n;
        }
        ClearPending();
    }

    /// <summary>Forgets changes not written (a failed write): the pages holding them are read again from the file.</summary>
    public void DropPending()
    {
        if (!HasPending) return;
        for (long p = _pendingFirst / EntriesPerPage; p <= _pendingLast / EntriesPerPage; p++)
            _pages.Remove(p);
        _lastPageIndex = -1;
        _lastPage = null;
        ClearPending();
    }

    private void ClearPending()
    {
        _pendingFirst = long.MaxValue;
        _pendingLast = -1;
    }

    private byte[] Page(long pageIndex)
    {
        if (pageIndex == _lastPageIndex)
            return _lastPage!;
        if (!_pages.TryGetValue(pageIndex, out byte[]? page))
        {
            if (_pages.Count >= MaxCachedPages)
                EvictWrittenPages();
            long start = pageIndex * PageBytes;
            page = new byte[(int)Math.Min(PageBytes, _bytes - start)];
            _file.Read(_offset + start, page); // the sector padding past the end of a short file reads as zeros
            _pages[pageIndex] = page;
        }
        _lastPageIndex = pageIndex;
        _lastPage = page;
        return page;
    }

    /// <summary>Drops every cached page except those holding changes not yet written.</summary>
    private void EvictWrittenPages()
    {
        long firstPending = HasPending ? _pendingFirst / EntriesPerPage : long.MaxValue;
        long lastPending = HasPending ? _pendingLast / EntriesPerPage : -1;
        foreach (long p in _pages.Keys.ToList())
            if (p < firstPending || p > lastPending)
                _pages.Remove(p);
        _lastPageIndex = -1;
        _lastPage = null;
    }
}
