using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>
/// The Block Allocation Table (VHD specification, "Block Allocation Table and Data Blocks"): one big-endian u32 per
/// block at the header's table offset, the sector of the block's bitmap in the file, or <see cref="Unallocated"/>.
/// qemu reads the whole table into memory (up to 2 GiB); this one reads it in 256 KiB pages when they are needed and
/// keeps a bounded number, so no single allocation grows with max_table_entries. An entry changed by an allocation is
/// written at once, through the page that holds it.
/// </summary>
internal sealed class VpcBat
{
    /// <summary>An unallocated block (spec: 0xFFFFFFFF).</summary>
    public const uint Unallocated = 0xFFFF_FFFF;

    private const int EntriesPerPage = 64 * 1024;
    private const int MaxCachedPages = 64;

    private readonly HostFile _file;
    private readonly long _offset;
    private readonly Dictionary<long, uint[]> _pages = [];
    private long _lastPageIndex = -1;
    private uint[]? _lastPage;

    public VpcBat(HostFile file, long offset, uint count)
    {
        _file = file;
        _offset = offset;
        Count = count;
    }

    /// <summary>max_table_entries.</summary>
    public uint Count { get; }

    /// <summary>Bytes of the table in the file (entries only; the area is padded to a sector).</summary>
    public long Bytes => (long)Count * 4;

    /// <summary>The entry of <paramref name="block"/>; blocks past the table read as unallocated, as in qemu.</summary>
    public uint this[long block]
    {
        get
        {
            if ((ulong)block >= Count)
                return Unallocated;
            uint[] page = Page(block / EntriesPerPage);
            return page[(int)(block % EntriesPerPage)];
        }
    }

    /// <summary>
    /// Sets the entries from <paramref name="first"/> on to <paramref name="values"/> and writes them to the file in one
    /// request; the cached pages change only once the write succeeded.
    /// </summary>
    public void WriteEntries(long first, ReadOnlySpan<uint> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * 4), values[i]);
        _file.Write(_offset + first * 4, bytes);
        for (int i = 0; i < values.Length; i++)
        {
            long block = first + i;
            if (_pages.TryGetValue(block / EntriesPerPage, out uint[]? page))
                page[(int)(block % EntriesPerPage)] = values[i];
        }
    }

    /// <summary>Drops cached pages so that entries are read again from the file (after a failed write).</summary>
    public void Forget()
    {
        _pages.Clear();
        _lastPageIndex = -1;
        _lastPage = null;
    }

    /// <summary>
    /// The end of the furthest block the table names (qemu's free_data_block_offset scan), at least
    /// <paramref name="start"/>: the table is read once, in pages, through one buffer, without filling the cache.
    /// </summary>
    public long MaxBlockEnd(long start, long blockBytes)
    {
        long max = start;
        byte[] raw = Scratch();
        for (long first = 0; first < Count; first += EntriesPerPage)
        {
            int n = (int)Math.Min(EntriesPerPage, Count - first);
            _file.Read(_offset + first * 4, raw.AsSpan(0, n * 4));
            for (int i = 0; i < n; i++)
            {
                uint e = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(i * 4));
                if (e != Unallocated)
                    max = Math.Max(max, 512L * e + blockBytes);
            }
        }
        return max;
    }

    private byte[]? _scratch;
    private readonly Stack<uint[]> _spare = new();

    private byte[] Scratch() => _scratch ??= new byte[(int)Math.Min(EntriesPerPage, Math.Max(1, Count)) * 4];

    private uint[] Page(long pageIndex)
    {
        if (pageIndex == _lastPageIndex)
            return _lastPage!;
        if (!_pages.TryGetValue(pageIndex, out uint[]? page))
        {
            if (_pages.Count >= MaxCachedPages)
            {
                // whole pages are recycled, so that walking a table larger than the cache allocates nothing more
                foreach (uint[] p in _pages.Values)
                    if (p.Length == EntriesPerPage) _spare.Push(p);
                _pages.Clear();
            }
            long first = pageIndex * EntriesPerPage;
            int n = (int)Math.Min(EntriesPerPage, Count - first);
            byte[] raw = Scratch();
            _file.Read(_offset + first * 4, raw.AsSpan(0, n * 4)); // the caller checked that the table lies inside the file
            page = n == EntriesPerPage && _spare.Count > 0 ? _spare.Pop() : new uint[n];
            for (int i = 0; i < n; i++)
                page[i] = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(i * 4));
            _pages[pageIndex] = page;
        }
        _lastPageIndex = pageIndex;
        _lastPage = page;
        return page;
    }
}
