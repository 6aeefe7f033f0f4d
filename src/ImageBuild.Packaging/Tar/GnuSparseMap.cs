namespace ImageBuild.Packaging.Tar;

/// <summary>
/// The map of an old GNU sparse member, in file order, kept in chunks of <see cref="ChunkEntries"/> entries so no
/// array grows with the file. At most <see cref="MaxEntries"/> entries (256 MiB of offsets and lengths): a file
/// more fragmented than that is refused rather than held in unbounded memory.
/// </summary>
internal sealed class GnuSparseMap
{
    public const int MaxEntries = 16 << 20;
    private const int ChunkEntries = 1 << 16;

    private readonly List<long[]> _chunks = [];

    public int Count { get; private set; }

    /// <summary>Sum of the entries' lengths: the bytes the member stores (its header's size field).</summary>
    public long DataBytes { get; private set; }

    public GnuSparseEntry this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            long[] chunk = _chunks[index / ChunkEntries];
            int at = index % ChunkEntries * 2;
            return new GnuSparseEntry(chunk[at], chunk[at + 1]);
        }
    }

    public GnuSparseEntry Last => this[Count - 1];

    /// <summary>Appends an entry; false when the map is full.</summary>
    public bool TryAdd(GnuSparseEntry entry)
    {
        if (Count >= MaxEntries) return false;
        if (Count % ChunkEntries == 0) _chunks.Add(new long[ChunkEntries * 2]);
        long[] chunk = _chunks[Count / ChunkEntries];
        int at = Count % ChunkEntries * 2;
        chunk[at] = entry.Offset;
        chunk[at + 1] = entry.NumBytes;
        Count++;
        DataBytes += entry.NumBytes;
        return true;
    }

    /// <summary>Grows the last entry by <paramref name="bytes"/> (data right after it).</summary>
    public void ExtendLast(long bytes)
    {
        int index = Count - 1;
        _chunks[index / ChunkEntries][index % ChunkEntries * 2 + 1] += bytes;
        DataBytes += bytes;
    }

    /// <summary>Copies entries [start, start + destination.Length) into <paramref name="destination"/>.</summary>
    public void CopyTo(int start, Span<GnuSparseEntry> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = this[start + i];
    }
}
