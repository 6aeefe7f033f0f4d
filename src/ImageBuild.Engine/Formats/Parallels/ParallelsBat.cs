using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Parallels;

/// <summary>
/// The Block Allocation Table: bat_entries little-endian u32 right after the header, entry i naming guest cluster
/// i's data at entry × off_multiplier sectors (0 = not allocated). qemu reads the whole table into memory (up to
/// 2 GiB, 4 MiB per TiB with 1 MiB clusters); this one reads it in 64 KiB pages as they are needed and keeps at most
/// <see cref="MaxCachedPages"/> (1 MiB), so memory grows neither with a hostile bat_entries nor, for a walk of the
/// whole image (map, measure, convert, compare), with the virtual size. Entries past the end of the file read as 0, as qemu's read of the table does.
/// Changes are written through at once (qemu writes its dirty table pages at the next flush; the file ends the same).
/// </summary>
internal sealed class ParallelsBat
{
    private const int PageBytes = 64 << 10;
    private const int EntriesPerPage = PageBytes / 4;
    internal const int MaxCachedPages = 16;
    private const long Offset = ParallelsHeader.Size;

    private readonly HostFile _file;
    private readonly Dictionary<long, byte[]> _pages = [];
    private long _lastPageIndex = -1;
    private byte[]? _lastPage;

    public ParallelsBat(HostFile file, uint count)
    {
        _file = file;
        Count = count;
    }

    /// <summary>How many pages of the table are held.</summary>
    internal int CachedPages => _pages.Count;

    /// <summary>bat_entries.</summary>
    public uint Count { get; }

    /// <summary>
    /// How many entries can be non-zero: those inside the file, as it is now (entries past its end read as 0 until
    /// a write puts them there).
    /// </summary>
    public long PossiblyAllocated => Math.Max(_written, Math.Min(Count, Math.Max(0, _file.Length - Offset) / 4));

    private long _written;

    /// <summary>The entry of guest cluster <paramref name="index"/>; 0 at or past <see cref="Count"/>.</summary>
    public uint this[long index]
    {
        get
        {
            if (index < 0 || index >= Count) return 0;
            byte[] page = Page(index / EntriesPerPage);
            return BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan((int)(index % EntriesPerPage) * 4));
        }
    }

    /// <summary>Sets entries first, first+1, ... to <paramref name="values"/> and writes them to the file.</summary>
    public void Set(long first, ReadOnlySpan<uint> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        _file.Write(Offset + first * 4, bytes);
        _written = Math.Max(_written, first + values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            long index = first + i;
            if (_pages.TryGetValue(index / EntriesPerPage, out byte[]? page))
                BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan((int)(index % EntriesPerPage) * 4), values[i]);
        }
    }

    /// <summary>
    /// Calls <paramref name="visit"/> with (index, entry) for every non-zero entry, in order, reading the table in
    /// 1 MiB pieces and only the part inside the file (the rest reads as 0).
    /// </summary>
    public void ForEachAllocated(Action<long, uint> visit)
    {
        long inFile = Math.Max(0, _file.Length - Offset) / 4;
        long count = Math.Min(Count, inFile);
        var chunk = new byte[1 << 20];
        for (long first = 0; first < count; first += chunk.Length / 4)
        {
            int n = (int)Math.Min(chunk.Length / 4, count - first);
            _file.Read(Offset + first * 4, chunk.AsSpan(0, n * 4));
            for (int i = 0; i < n; i++)
            {
                uint entry = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(i * 4));
                if (entry != 0) visit(first + i, entry);
            }
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
            long first = pageIndex * EntriesPerPage;
            page = new byte[(int)Math.Min(EntriesPerPage, Count - first) * 4];
            _file.Read(Offset + first * 4, page);
            _pages[pageIndex] = page;
        }
        _lastPageIndex = pageIndex;
        _lastPage = page;
        return page;
    }
}
