using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// The two-level refcount structure (reftable in memory, refcount blocks through a bounded cache) and the
/// cluster allocator. Allocation follows qemu's algorithm (first free cluster from a moving hint; missing refcount
/// blocks allocated on demand, describing themselves when they can; a full reftable replaced by a larger one
/// placed with its new blocks at the end of the covered area), so that images we create or grow have the
/// same layout as qemu's.
/// </summary>
internal sealed class Qcow2Refcounts
{
    /// <summary>qemu's QCOW_MAX_REFTABLE_SIZE.</summary>
    public const long MaxReftableBytes = 8L << 20;

    private readonly HostFile _file;
    private readonly int _clusterBits;
    private readonly int _clusterSize;
    private int _order;
    private int _blockBits; // log2(refcounts per block)
    private ulong _max;
    private ulong[] _table;
    private long _maxTableIndex;

    public Qcow2Refcounts(HostFile file, int clusterBits, int order, ulong[] table, long tableOffset, int cacheEntries)
    {
        _file = file;
        _clusterBits = clusterBits;
        _clusterSize = 1 << clusterBits;
        _order = order;
        _blockBits = clusterBits + 3 - order;
        _max = RefcountBlock.MaxRefcount(order);
        _table = table;
        TableOffset = tableOffset;
        Cache = new MetadataCache(file, _clusterSize, cacheEntries);
        UpdateMaxTableIndex();
    }

    public MetadataCache Cache { get; }
    public long TableOffset { get; private set; }
    public int TableEntries => _table.Length;
    public ReadOnlySpan<ulong> Table => _table;
    public long FreeClusterIndex { get; set; }
    public int Order => _order;
    public long RefcountsPerBlock => 1L << _blockBits;

    /// <summary>Called before the refcount table or a reftable entry is written (qemu flushes the L2 cache then).</summary>
    public Action? BeforeTableWrite { get; set; }

    /// <summary>Rewrites the header's refcount_table_offset/clusters after the table moved.</summary>
    public Action<long, int>? TableMoved { get; set; }

    public ulong GetRefcount(long clusterIndex)
    {
        long ti = clusterIndex >> _blockBits;
        if (ti >= _table.Length) return 0;
        long block = ReftableEntry.BlockOffset(_table[ti]);
        if (block == 0) return 0;
        if (block < 0) throw OutsideHostRange(block, ti);
        var data = Cache.Get(block);
        return RefcountBlock.Get(data, clusterIndex & ((1L << _blockBits) - 1), _order);
    }

    /// <summary>A reftable entry with bit 63 set: qemu's read of the block fails (beyond the block layer's range).</summary>
    private ImageCorruptException OutsideHostRange(long block, long ti) =>
        new($"'{_file.Path}': refcount block at offset {AltHex.Of((ulong)block)} (reftable index {AltHex.Of(ti)}) is beyond the largest file offset: Input/output error");

    /// <summary>qcow2_alloc_clusters: finds free space for <paramref name="bytes"/> and sets its refcounts to 1.</summary>
    public long AllocClusters(long bytes)
    {
        while (true)
        {
            long offset = AllocClustersNoRef(bytes);
            if (UpdateRefcount(offset, bytes, 1, decrease: false))
                return offset;
        }
    }

    /// <summary>Adds (or with decrease, subtracts) <paramref name="addend"/> to every cluster of a range.</summary>
    public void Update(long offset, long length, ulong addend, bool decrease)
    {
        while (!UpdateRefcount(offset, length, addend, decrease)) { }
    }

    public void Free(long offset, long length) => Update(offset, length, 1, decrease: true);

    private long AllocClustersNoRef(long bytes)
    {
        long n = (bytes + _clusterSize - 1) >> _clusterBits;
    retry:
        for (long i = 0; i < n; i++)
        {
            long next = FreeClusterIndex++;
            if (GetRefcount(next) != 0)
                goto retry;
        }
        long offset = (FreeClusterIndex - n) << _clusterBits;
        if (offset + bytes > (1L << 56))
            throw new ImageException("Cannot allocate clusters: image would exceed the maximum host offset");
        return offset;
    }

    /// <summary>qemu's update_refcount; false means "allocation layout changed, search again" (-EAGAIN).</summary>
    private bool UpdateRefcount(long offset, long length, ulong addend, bool decrease)
    {
        if (length == 0) return true;
        long start = offset & ~(long)(_clusterSize - 1);
        long last = (offset + length - 1) & ~(long)(_clusterSize - 1);
        long oldTableIndex = -1;
        byte[]? block = null;
        long blockOffset = 0;
        for (long co = start; co <= last; co += _clusterSize)
        {
            long ci = co >> _clusterBits;
            long ti = ci >> _blockBits;
            if (ti != oldTableIndex)
            {
                var r = AllocRefcountBlock(ci);
                if (r < 0)
                {
                    if (FreeClusterIndex > (start >> _clusterBits))
                        FreeClusterIndex = start >> _clusterBits;
                    if (co > offset)
                        Update(offset, co - offset, addend, !decrease);
                    return false;
                }
                blockOffset = r;
            }
            oldTableIndex = ti;
            block = Cache.Get(blockOffset);
            Cache.MarkDirty(blockOffset);
            long bi = ci & ((1L << _blockBits) - 1);
            ulong rc = RefcountBlock.Get(block, bi, _order);
            if (decrease ? rc < addend : (rc + addend < rc || rc + addend > _max))
                throw new ImageCorruptException(
                    $"'{_file.Path}': refcount of cluster {ci} (offset {AltHex.Of(co)}) would {(decrease ? "drop below zero" : "overflow")}");
            rc = decrease ? rc - addend : rc + addend;
            if (rc == 0 && ci < FreeClusterIndex)
                FreeClusterIndex = ci;
            RefcountBlock.Set(block, bi, _order, rc);
            if (rc == 0)
                ClusterFreed?.Invoke(co);
        }
        return true;
    }

    /// <summary>Called when a cluster's refcount drops to zero (caches drop it).</summary>
    public Action<long>? ClusterFreed { get; set; }

    /// <summary>
    /// Returns the offset of the refcount block covering cluster <paramref name="ci"/>, allocating it if needed;
    /// -1 when a block (or a new table) was allocated and the caller must restart its search.
    /// </summary>
    private long AllocRefcountBlock(long ci)
    {
        long ti = ci >> _blockBits;
        if (ti < _table.Length)
        {
            long off = ReftableEntry.BlockOffset(_table[ti]);
            if (off != 0)
            {
                if ((off & (_clusterSize - 1)) != 0)
                    throw new ImageCorruptException($"'{_file.Path}': refblock offset {AltHex.Of(off)} unaligned (reftable index: {AltHex.Of(ti)})");
                // Past the end of the file the block reads as zeros, as in qemu: the overlap checks then stop
                // whatever would be written over metadata that looks free.
                if (off < 0)
                    throw OutsideHostRange(off, ti);
                return off;
            }
        }

        BeforeTableWrite?.Invoke();
        long newBlock = AllocClustersNoRef(_clusterSize);
        if (newBlock == 0)
            throw new ImageCorruptException($"'{_file.Path}': Preventing invalid allocation of refcount block at offset 0");
        if ((newBlock >> (_clusterBits + _blockBits)) == (ci >> _blockBits))
        {
            var data = Cache.GetEmpty(newBlock);
            RefcountBlock.Set(data, (newBlock >> _clusterBits) & ((1L << _blockBits) - 1), _order, 1);
        }
        else
        {
            if (!UpdateRefcount(newBlock, _clusterSize, 1, decrease: false))
                return -1;
            Cache.Flush();
            Cache.GetEmpty(newBlock);
        }
        Cache.MarkDirty(newBlock);
        Cache.Flush();

        if (ti < _table.Length)
        {
            Span<byte> be = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(be, (ulong)newBlock);
            _file.Write(TableOffset + ti * 8, be);
            _table[ti] = (ulong)newBlock;
            _maxTableIndex = Math.Max(_maxTableIndex, ti);
            return -1;
        }

        // Everything below the new structures must stay covered: the cluster being counted and the new block
        // itself (which may lie beyond it) are both in use.
        long used = Math.Max(ci + 1, (newBlock >> _clusterBits) + 1);
        long blocksUsed = (used + (1L << _blockBits) - 1) >> _blockBits;
        if (blocksUsed > MaxReftableBytes / 8)
            throw new ImageException("File too large");
        long metaOffset = (blocksUsed << _blockBits) << _clusterBits;
        RefcountArea(metaOffset, 0, exactSize: false, ti, newBlock);
        return -1;
    }

    /// <summary>
    /// qemu's qcow2_refcount_area: builds a new reftable with blocks for everything up to start_offset plus the
    /// new structures themselves, placed at <paramref name="startOffset"/>, and switches to it.
    /// Returns the end offset of the new structures.
    /// </summary>
    public long RefcountArea(long startOffset, long additionalClusters, bool exactSize, long newBlockIndex, long newBlockOffset)
    {
        MetadataSize((startOffset >> _clusterBits) + additionalClusters, _clusterSize, _order, !exactSize, out long totalBlocks);
        if (totalBlocks > MaxReftableBytes)
            throw new ImageException("File too large");
        long areaIndex = (startOffset >> _clusterBits) >> _blockBits;
        long tableSize = exactSize ? totalBlocks : totalBlocks + (totalBlocks + 1) / 2;
        long perCluster = _clusterSize / 8;
        tableSize = (tableSize + perCluster - 1) / perCluster * perCluster;
        long tableClusters = tableSize * 8 / _clusterSize;
        if (tableSize > MaxReftableBytes)
            throw new ImageException("File too large");
        var newTable = new ulong[tableSize];
        if (tableSize > _maxTableIndex)
            Array.Copy(_table, newTable, Math.Min(_table.Length, _maxTableIndex + 1));
        else
            Array.Copy(_table, newTable, tableSize);
        if (newBlockOffset != 0)
            newTable[newBlockIndex] = (ulong)newBlockOffset;

        long additional = 0;
        for (long i = areaIndex; i < totalBlocks; i++)
            if (newTable[i] == 0) additional++;
        long tableOffset = startOffset + additional * _clusterSize;
        long endOffset = tableOffset + tableClusters * _clusterSize;

        long blockOffset = startOffset;
        for (long i = areaIndex; i < totalBlocks; i++)
        {
            byte[] data;
            long thisBlock;
            if (newTable[i] != 0)
            {
                thisBlock = ReftableEntry.BlockOffset(newTable[i]);
                data = Cache.Get(thisBlock);
            }
            else
            {
                thisBlock = blockOffset;
                data = Cache.GetEmpty(blockOffset);
                newTable[i] = (ulong)blockOffset;
                blockOffset += _clusterSize;
            }
            long firstCovered = (i << _blockBits) << _clusterBits;
            if (firstCovered < endOffset)
            {
                long j = firstCovered < startOffset ? (startOffset - firstCovered) >> _clusterBits : 0;
                long endIndex = Math.Min((endOffset - firstCovered) >> _clusterBits, 1L << _blockBits);
                for (; j < endIndex; j++)
                    RefcountBlock.Set(data, j, _order, 1);
                Cache.MarkDirty(thisBlock);
            }
        }
        Cache.Flush();

        var bytes = new byte[tableSize * 8];
        for (long i = 0; i < totalBlocks; i++)
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan((int)(i * 8)), newTable[i]);
        _file.Write(tableOffset, bytes);
        TableMoved?.Invoke(tableOffset, (int)tableClusters);

        long oldOffset = TableOffset;
        long oldSize = _table.Length;
        _table = newTable;
        TableOffset = tableOffset;
        UpdateMaxTableIndex();
        Free(oldOffset, oldSize * 8);
        return endOffset;
    }

    /// <summary>Switches to a refcount table written elsewhere (check's rebuild); cached blocks are dropped.</summary>
    public void ReplaceTable(ulong[] table, long offset)
    {
        Cache.Flush();
        Cache.Clear();
        _table = table;
        TableOffset = offset;
        FreeClusterIndex = 0;
        UpdateMaxTableIndex();
    }

    /// <summary>
    /// Switches to refcount structures of another entry width that are already on disk (qemu's
    /// qcow2_change_refcount_order, last step): cached blocks of the old structures are dropped.
    /// </summary>
    public void Reinitialize(int order, ulong[] table, long tableOffset)
    {
        Cache.Flush();
        foreach (ulong e in _table)
            if (ReftableEntry.BlockOffset(e) != 0) Cache.Discard(ReftableEntry.BlockOffset(e));
        _order = order;
        _blockBits = _clusterBits + 3 - order;
        _max = RefcountBlock.MaxRefcount(order);
        _table = table;
        TableOffset = tableOffset;
        UpdateMaxTableIndex();
    }

    private void UpdateMaxTableIndex()
    {
        long i = _table.Length - 1;
        while (i > 0 && _table[i] == 0) i--;
        _maxTableIndex = Math.Max(0, i);
    }

    /// <summary>qcow2_refcount_metadata_size: bytes of refcount structures needed to cover <paramref name="clusters"/>.</summary>
    public static long MetadataSize(long clusters, long clusterSize, int order, bool generousIncrease, out long blockCount)
    {
        long perTableCluster = clusterSize / 8;
        long perBlock = clusterSize * 8 / (1L << order);
        long table = 0, blocks = 0, n = 0, last;
        do
        {
            last = n;
            blocks = DivRoundUp(clusters + table + blocks, perBlock);
            table = DivRoundUp(blocks, perTableCluster);
            n = clusters + blocks + table;
            if (n == last && generousIncrease)
            {
                clusters += DivRoundUp(table, 2);
                n = 0;
                generousIncrease = false;
            }
        } while (n != last);
        blockCount = blocks;
        return (blocks + table) * clusterSize;
    }

    private static long DivRoundUp(long a, long b) => (a + b - 1) / b;
}
