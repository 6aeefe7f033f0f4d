using System.Collections;
using ImageBuild.Oci.Layers;

namespace ImageBuild.Recipes.Cache;

/// <summary>
/// The data extents of a file as <see cref="ContentHashBuilder"/> found them: runs of 4 KiB blocks holding a
/// non-zero byte, in file order, merged when adjacent, each starting on a block boundary and ending on one or at
/// the file's end (the map <see cref="SparseFileLayer"/> writes). Stored in chunks of 1 MiB so that no single array
/// grows with the file.
/// </summary>
public sealed class ExtentList : IReadOnlyList<DataExtent>
{
    private const int ChunkEntries = 1 << 16;

    private readonly List<DataExtent[]> _chunks = [];

    public int Count { get; private set; }

    /// <summary>Sum of the extents' lengths.</summary>
    public long DataBytes { get; private set; }

    public DataExtent this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return _chunks[index / ChunkEntries][index % ChunkEntries];
        }
    }

    /// <summary>Adds the block run [offset, offset + length): merged into the last extent when it ends at offset.</summary>
    internal void AddRun(long offset, long length)
    {
        if (Count > 0)
        {
            ref DataExtent last = ref _chunks[(Count - 1) / ChunkEntries][(Count - 1) % ChunkEntries];
            if (last.End == offset)
            {
                last = last with { Length = last.Length + length };
                DataBytes += length;
                return;
            }
        }
        if (Count % ChunkEntries == 0) _chunks.Add(new DataExtent[ChunkEntries]);
        _chunks[Count / ChunkEntries][Count % ChunkEntries] = new DataExtent(offset, length);
        Count++;
        DataBytes += length;
    }

    /// <summary>Whether the next run at <paramref name="offset"/> would need a new entry (it does not extend the last).</summary>
    internal bool StartsNewRun(long offset) => Count == 0 || this[Count - 1].End != offset;

    public IEnumerator<DataExtent> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
