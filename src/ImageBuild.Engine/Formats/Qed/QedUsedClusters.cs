
namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// check's bitmap of referenced clusters (QEDCheck.used_clusters), numbered as qemu numbers them: a cluster's
/// index is qed_bytes_to_clusters of its offset and a table's clusters follow its first one. The bitmap is kept in
/// pages allocated as clusters are marked, so that a huge sparse file costs only what its tables reference.
/// </summary>
internal sealed class QedUsedClusters
{
    private const int PageBits = 1 << 16;
    private readonly QedLayout _layout;
    private readonly ulong _count;
    private readonly Dictionary<ulong, ulong[]> _pages = [];

    public QedUsedClusters(QedLayout layout, long fileSize)
    {
        _layout = layout;
        _count = layout.QemuBytesToClusters((ulong)fileSize);
    }

    /// <summary>Marks <paramref name="n"/> clusters from the one at <paramref name="offset"/>; returns how many were marked already.</summary>
    public long Mark(ulong offset, uint n)
    {
        long seen = 0;
        ulong cluster = _layout.QemuBytesToClusters(offset);
        for (uint i = 0; i < n; i++, cluster++)
        {
            if (cluster >= _count) continue; // validated offsets never get here
            if (!_pages.TryGetValue(cluster / PageBits, out var page))
                _pages[cluster / PageBits] = page = new ulong[PageBits / 64];
            int bit = (int)(cluster % PageBits);
            ulong mask = 1UL << (bit % 64);
            if ((page[bit / 64] & mask) != 0) seen++;
            page[bit / 64] |= mask;
        }
        return seen;
    }

    /// <summary>qed_check_for_leaks: clusters from <paramref name="first"/> (header_size) on that nothing references.</summary>
    public long CountUnused(ulong first)
    {
        long unused = 0;
        for (ulong pageIndex = first / PageBits; pageIndex * PageBits < _count; pageIndex++)
        {
            ulong start = Math.Max(first, pageIndex * PageBits);
            ulong end = Math.Min(_count, (pageIndex + 1) * PageBits);
            if (!_pages.TryGetValue(pageIndex, out var page))
            {
                unused += (long)(end - start);
                continue;
            }
            for (ulong c = start; c < end; c++)
            {
                int bit = (int)(c % PageBits);
                if ((page[bit / 64] & (1UL << (bit % 64))) == 0) unused++;
            }
        }
        return unused;
    }
}
