namespace ImageBuild.Oci.Layers;

/// <summary>
/// The data extents of one file (GNU sparse 1.0's map), in file order, stored in chunks of
/// <see cref="ChunkEntries"/> entries so that no single array grows with the file. At most
/// <see cref="MaxEntries"/> entries (64 MiB of offsets and lengths): a file more fragmented than that is refused
/// on both sides rather than held in unbounded memory.
/// </summary>
internal sealed class SparseMap
{
    public const int MaxEntries = 4 << 20;
    private const int ChunkEntries = 1 << 16;

    private readonly List<long[]> _chunks = [];

    public int Count { get; private set; }

    /// <summary>Sum of the extent lengths: the bytes the layer stores.</summary>
    public long DataBytes { get; private set; }

    public DataExtent this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            long[] chunk = _chunks[index / ChunkEntries];
            int at = index % ChunkEntries * 2;
            return new DataExtent(chunk[at], chunk[at + 1]);
        }
    }

    public DataExtent Last => this[Count - 1];

    /// <summary>Appends an extent; false when the map is full.</summary>
    public bool TryAdd(DataExtent extent)
    {
        if (Count >= MaxEntries) return false;
        if (Count % ChunkEntries == 0) _chunks.Add(new long[ChunkEntries * 2]);
        long[] chunk = _chunks[Count / ChunkEntries];
        int at = Count % ChunkEntries * 2;
        chunk[at] = extent.Offset;
        chunk[at + 1] = extent.Length;
        Count++;
        DataBytes += extent.Length;
        return true;
    }

    /// <summary>Grows the last extent by <paramref name="bytes"/> (a data block right after it).</summary>
    public void ExtendLast(long bytes)
    {
        int index = Count - 1;
        _chunks[index / ChunkEntries][index % ChunkEntries * 2 + 1] += bytes;
        DataBytes += bytes;
    }
}
