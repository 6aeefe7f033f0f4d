namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// Every chunk of the disk in sector order, kept in pages (a table of millions of entries never needs one large
/// array), searched by sector. Chunks covering no sector are left out; overlapping chunks are refused, since which
/// one qemu reads then depends on the order of earlier reads.
/// </summary>
internal sealed class DmgChunkTable
{
    private const int PageBits = 15;
    private const int PageSize = 1 << PageBits;

    /// <summary>The most entries sorted when a table is out of order (one array below the 16 MiB array limit).</summary>
    private const int MaxUnorderedEntries = (16 << 20) / 48;

    private readonly List<DmgChunk[]> _pages = [];
    private bool _ordered = true;

    public long Count { get; private set; }

    public DmgChunk this[long i] => _pages[(int)(i >> PageBits)][i & (PageSize - 1)];

    public void Add(in DmgChunk chunk)
    {
        if (chunk.SectorCount == 0) return;
        if (Count > 0 && chunk.Sector < this[Count - 1].Sector) _ordered = false;
        if ((Count & (PageSize - 1)) == 0) _pages.Add(new DmgChunk[PageSize]);
        _pages[^1][Count & (PageSize - 1)] = chunk;
        Count++;
    }

    /// <summary>Puts the chunks in sector order and refuses overlaps; called once, after the last <see cref="Add"/>.</summary>
    public void Seal()
    {
        if (!_ordered)
        {
            if (Count > MaxUnorderedEntries)
                throw new ImageException($"dmg: the chunk tables ({Count} entries) are not in sector order");
            var all = new DmgChunk[Count];
            for (long i = 0; i < Count; i++) all[i] = this[i];
            Array.Sort(all, (a, b) => a.Sector.CompareTo(b.Sector));
            for (long i = 0; i < Count; i++) _pages[(int)(i >> PageBits)][i & (PageSize - 1)] = all[i];
            _ordered = true;
        }
        for (long i = 1; i < Count; i++)
        {
            DmgChunk prev = this[i - 1], cur = this[i];
            if (cur.Sector < prev.EndSector)
                throw new ImageException(
                    $"dmg: chunk {cur.Index} (sectors {cur.Sector}..{cur.EndSector - 1}) overlaps chunk {prev.Index} (sectors {prev.Sector}..{prev.EndSector - 1})");
        }
    }

    /// <summary>The position of the chunk holding <paramref name="sector"/>, or -1 when no chunk does.</summary>
    public long Find(ulong sector)
    {
        long lo = 0, hi = Count - 1, found = -1;
        while (lo <= hi)
        {
            long mid = lo + (hi - lo) / 2;
            if (this[mid].Sector <= sector) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found >= 0 && sector < this[found].EndSector ? found : -1;
    }
}
