using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// Rebuilds the refcount structures at another entry width (amend refcount_bits; qemu's
/// qcow2_change_refcount_order). Walks over the old refcounts, first to allocate the new refcount blocks (and the
/// new reftable) through the old structures until nothing more needs allocating, then to write the new blocks
/// with the values the old structures hold; then the new reftable is written and the header switched to it,
/// and the old blocks and table are freed through the new structures.
/// </summary>
internal sealed class Qcow2RefcountOrderChanger(Qcow2Refcounts refcounts, HostFile file, int clusterBits, Action<long, long> status)
{
    private readonly int _clusterSize = 1 << clusterBits;
    private ulong[] _newTable = [];

    /// <summary>
    /// Changes the width to 2^<paramref name="newOrder"/> bits. <paramref name="switchHeader"/> is called once the
    /// new structures are on disk, after <see cref="Qcow2Refcounts.Reinitialize"/>, to rewrite the header.
    /// </summary>
    public void Change(int newOrder, Action switchHeader)
    {
        int newBits = 1 << newOrder;
        int newPerBlock = 1 << (clusterBits + 3 - newOrder);
        long newTableOffset = 0, allocatedTableSize = 0;
        int walkIndex = 0;
        bool allocated;
        do
        {
            allocated = false;
            int totalWalks = Math.Max(walkIndex + 2, 3);
            Walk(newBits, newOrder, newPerBlock, null, (index, empty) => allocated |= AllocBlock(index, empty), walkIndex++, totalWalks);
            if (allocated)
            {
                if (newTableOffset != 0)
                    refcounts.Free(newTableOffset, allocatedTableSize * 8);
                newTableOffset = refcounts.AllocClusters((long)_newTable.Length * 8);
                allocatedTableSize = _newTable.Length;
            }
        } while (allocated);

        var block = new byte[_clusterSize];
        Walk(newBits, newOrder, newPerBlock, block, (index, empty) => FlushBlock(block, index, empty), walkIndex, walkIndex + 1);

        file.Write(newTableOffset, BitmapTable.Serialize(_newTable));
        refcounts.Cache.Flush();
        file.Flush();

        var oldTable = refcounts.Table.ToArray();
        long oldTableOffset = refcounts.TableOffset;
        refcounts.Reinitialize(newOrder, _newTable, newTableOffset);
        switchHeader();
        file.Flush();

        foreach (ulong e in oldTable)
        {
            long off = ReftableEntry.BlockOffset(e);
            if (off != 0) refcounts.Free(off, _clusterSize);
        }
        refcounts.Free(oldTableOffset, (long)oldTable.Length * 8);
        refcounts.Cache.Flush();
    }

    /// <summary>alloc_refblock: a cluster for every new block that will hold a non-zero refcount.</summary>
    private bool AllocBlock(long index, bool empty)
    {
        if (empty) return false;
        if (index >= _newTable.Length)
        {
            long perCluster = _clusterSize / 8;
            long size = (index + 1 + perCluster - 1) / perCluster * perCluster;
            if (size > Qcow2Refcounts.MaxReftableBytes / 8)
                throw new ImageException("This operation would make the refcount table grow beyond the maximum size supported by QEMU, aborting");
            Array.Resize(ref _newTable, (int)size);
        }
        if (_newTable[index] != 0) return false;
        _newTable[index] = (ulong)refcounts.AllocClusters(_clusterSize);
        return true;
    }

    /// <summary>flush_refblock: writes a completed new block where the new table says.</summary>
    private bool FlushBlock(byte[] block, long index, bool empty)
    {
        if (index < _newTable.Length && _newTable[index] != 0)
            file.Write((long)_newTable[index], block);
        else if (!empty)
            throw new ImageException("Failed to write refblock: the new refcount structures changed while being written");
        return false;
    }

    /// <summary>walk_over_reftable: streams every old refcount into new blocks of <paramref name="newPerBlock"/> entries.</summary>
    private void Walk(int newBits, int newOrder, int newPerBlock, byte[]? newBlock, Func<long, bool, bool> operation, int index, int total)
    {
        long newIndex = 0;
        int newPos = 0;
        bool empty = true;
        long oldPerBlock = refcounts.RefcountsPerBlock;
        if (newBlock is not null) Array.Clear(newBlock);
        for (long ti = 0; ti < refcounts.TableEntries; ti++)
        {
            status((long)index * refcounts.TableEntries + ti, (long)total * refcounts.TableEntries);
            for (long j = 0; j < oldPerBlock; j++)
            {
                if (newPos >= newPerBlock)
                {
                    operation(newIndex++, empty);
                    newPos = 0;
                    empty = true;
                    if (newBlock is not null) Array.Clear(newBlock);
                }
                long ci = ti * oldPerBlock + j;
                ulong rc = refcounts.GetRefcount(ci);
                if (newBits < 64 && rc >> newBits != 0)
                    throw new ImageException($"Cannot decrease refcount entry width to {newBits} bits: Cluster at offset {FormatOffset(ci << clusterBits)} has a refcount of {rc}");
                if (newBlock is not null) RefcountBlock.Set(newBlock, newPos, newOrder, rc);
                newPos++;
                empty &= rc == 0;
            }
        }
        if (newPos > 0)
            operation(newIndex, empty);
        status((long)(index + 1) * refcounts.TableEntries, (long)total * refcounts.TableEntries);
    }

    /// <summary>printf's %#PRIx64: "0" for zero, "0x..." otherwise.</summary>
    private static string FormatOffset(long v) => v == 0 ? "0" : $"0x{v:x}";
}
