using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// A write-through cache of QED tables (the L1 table, or qemu's L2 table cache), keyed like qemu's by the table's
/// file offset. Tables are held in 4 KiB chunks, so that memory stays bounded whatever table_size and cluster_size
/// say (a table may be 1 GiB): only the chunks in use are read, and a bounded number are kept.
/// Every change is written to the file at once, as whole 512-byte sectors of entries (qed_write_table).
/// </summary>
internal sealed class QedTableCache
{
    private const int ChunkBytes = 4096;
    private const int ChunkEntries = ChunkBytes / sizeof(ulong);
    private const int SectorEntries = 512 / sizeof(ulong);
    private const int WritePiece = 1 << 20;

    private sealed class Chunk(ulong table, int index, ulong[] entries)
    {
        public ulong Table { get; } = table;
        public int Index { get; } = index;
        public ulong[] Entries { get; } = entries;
    }

    private readonly HostFile _file;
    private readonly long _tableBytes;
    private readonly int _maxChunks;
    private readonly Dictionary<(ulong, int), LinkedListNode<Chunk>> _map = [];
    private readonly LinkedList<Chunk> _lru = new();

    /// <param name="file">The image file.</param>
    /// <param name="tableBytes">Bytes of one table (a multiple of 4 KiB: table_size clusters of at least 4 KiB).</param>
    /// <param name="budgetBytes">How much table data to keep in memory.</param>
    public QedTableCache(HostFile file, long tableBytes, int budgetBytes)
    {
        _file = file;
        _tableBytes = tableBytes;
        _maxChunks = Math.Max(4, budgetBytes / ChunkBytes);
    }

    /// <summary>Entry <paramref name="index"/> of the table at <paramref name="table"/>.</summary>
    public ulong Get(ulong table, int index) => Load(table, index / ChunkEntries).Entries[index % ChunkEntries];

    /// <summary>
    /// Sets <paramref name="count"/> entries from <paramref name="index"/> on (qed_update_l2_table: an allocated
    /// offset advances by a cluster per entry, the zero and unallocated markers repeat) and writes the sectors
    /// holding them.
    /// </summary>
    public void Update(ulong table, int index, int count, ulong first, uint clusterSize)
    {
        ulong value = first;
        bool advance = first > 1;
        int end = index + count;
        for (int i = index; i < end;)
        {
            var chunk = Load(table, i / ChunkEntries);
            int stop = Math.Min(end, (chunk.Index + 1) * ChunkEntries);
            int from = i;
            for (; i < stop; i++)
            {
                chunk.Entries[i % ChunkEntries] = value;
                if (advance) value += clusterSize;
            }
            WriteSectors(chunk, from, stop - from);
        }
    }

    /// <summary>
    /// Writes a new table (qed_new_l2_table then a whole-table qed_write_l2_table): zeros except
    /// <paramref name="count"/> entries from <paramref name="index"/> set as <see cref="Update"/> sets them.
    /// </summary>
    public void WriteNew(ulong table, int index, int count, ulong first, uint clusterSize)
    {
        Forget(table);
        byte[] piece = new byte[(int)Math.Min(WritePiece, _tableBytes)];
        long firstEntry = index, lastEntry = index + count;
        for (long pos = 0; pos < _tableBytes; pos += piece.Length)
        {
            Array.Clear(piece);
            long e0 = pos / sizeof(ulong), e1 = e0 + piece.Length / sizeof(ulong);
            for (long e = Math.Max(e0, firstEntry); e < Math.Min(e1, lastEntry); e++)
            {
                ulong v = first > 1 ? first + (ulong)(e - firstEntry) * clusterSize : first;
                BinaryPrimitives.WriteUInt64LittleEndian(piece.AsSpan((int)((e - e0) * sizeof(ulong))), v);
            }
            _file.Write((long)table + pos, piece);
        }
    }

    /// <summary>Sets one entry and writes its sector (check's repair of an invalid offset).</summary>
    public void Set(ulong table, int index, ulong value) => Update(table, index, 1, value, 0);

    /// <summary>Drops the cached chunks of one table (after the table was rewritten on disk).</summary>
    public void Forget(ulong table)
    {
        if (_map.Count == 0) return;
        int chunks = (int)(_tableBytes / ChunkBytes);
        if (chunks > _map.Count)
        {
            foreach (var key in _map.Keys.Where(k => k.Item1 == table).ToList())
                Remove(key);
            return;
        }
        for (int c = 0; c < chunks; c++)
            Remove((table, c));
    }

    private void Remove((ulong, int) key)
    {
        if (_map.Remove(key, out var node))
            _lru.Remove(node);
    }

    private Chunk Load(ulong table, int chunkIndex)
    {
        if (_map.TryGetValue((table, chunkIndex), out var node))
        {
            if (node != _lru.First)
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
            }
            return node.Value;
        }
        // An evicted chunk's array is reused, so that walking a huge table allocates nothing per chunk.
        ulong[] entries;
        if (_map.Count >= _maxChunks && _lru.Last is { } oldest)
        {
            _lru.RemoveLast();
            _map.Remove((oldest.Value.Table, oldest.Value.Index));
            entries = oldest.Value.Entries;
        }
        else
            entries = new ulong[ChunkEntries];
        Span<byte> bytes = stackalloc byte[ChunkBytes];
        _file.Read((long)table + (long)chunkIndex * ChunkBytes, bytes);
        for (int i = 0; i < entries.Length; i++)
            entries[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * sizeof(ulong))..]);
        var chunk = new Chunk(table, chunkIndex, entries);
        _map[(table, chunkIndex)] = _lru.AddFirst(chunk);
        return chunk;
    }

    /// <summary>qed_write_table: the whole 512-byte sectors that hold entries [index, index+count) of one chunk.</summary>
    private void WriteSectors(Chunk chunk, int index, int count)
    {
        int start = index & ~(SectorEntries - 1);
        int end = (index + count + SectorEntries - 1) & ~(SectorEntries - 1);
        int base0 = chunk.Index * ChunkEntries;
        Span<byte> buf = stackalloc byte[ChunkBytes];
        buf = buf[..((end - start) * sizeof(ulong))];
        for (int i = start; i < end; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(buf[((i - start) * sizeof(ulong))..], chunk.Entries[i - base0]);
        _file.Write((long)chunk.Table + (long)start * sizeof(ulong), buf);
    }
}
