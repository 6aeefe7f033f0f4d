using System.Buffers.Binary;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// qemu's rebuild_refcount_structure: writes a new set of refcount blocks and a new refcount table built only from
/// the refcounts check computed, placing them in clusters that table says are free (or past the end), then points
/// the header at the new table. The old structures are left behind as leaks, for the caller to reclaim.
/// </summary>
internal static class Qcow2RefcountRebuilder
{
    public static void Rebuild(Qcow2Device dev, InMemoryRefcounts imrt, Action countCheckError)
    {
        try
        {
            RebuildCore(dev, imrt);
        }
        catch (ImageException)
        {
            countCheckError();
            throw;
        }
    }

    private static void RebuildCore(Qcow2Device dev, InMemoryRefcounts imrt)
    {
        int cs = dev.ClusterSizeInt;
        int blockBits = dev.ClusterBits + 3 - (int)dev.Header.RefcountOrder;
        dev.Refcounts.Cache.Flush();
        dev.Refcounts.Cache.Clear();

        var reftable = Array.Empty<ulong>();
        bool grown = WriteRefblocks(dev, imrt, blockBits, 0, imrt.Clusters, ref reftable);
        if (!grown)
            throw new ImageException("ERROR rebuilding refcount structure: nothing is allocated");

        long reftableOffset;
        long reftableClusters;
        do
        {
            long first = 0;
            reftableClusters = ((long)reftable.Length * 8 + cs - 1) / cs;
            reftableOffset = AllocClusters(imrt, reftableClusters, ref first, cs);
            long start = reftableOffset / cs;
            // The refblocks covering the new table must count it: write them again (the table may grow meanwhile).
            grown = WriteRefblocks(dev, imrt, blockBits, start, start + reftableClusters, ref reftable);
        } while (grown);

        long length = (long)reftable.Length * 8;
        var bytes = new byte[length];
        for (int i = 0; i < reftable.Length; i++)
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), reftable[i]);
        if (!dev.PreWriteOverlapCheck(0, reftableOffset, length))
            throw Failed("ERROR writing reftable");
        dev.File.Write(reftableOffset, bytes);

        dev.File.Flush(); // the new structures are durable before the header points at them
        Span<byte> pointer = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(pointer, (ulong)reftableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(pointer[8..], (uint)reftableClusters);
        dev.WriteMetadataSync(48, pointer);
        dev.Refcounts.ReplaceTable(reftable, reftableOffset);
        dev.Header.RefcountTableOffset = (ulong)reftableOffset;
        dev.Header.RefcountTableClusters = (uint)reftableClusters;
    }

    /// <summary>
    /// rebuild_refcounts_write_refblocks: for every cluster in [first, end) in use, writes the refcount block
    /// covering it (allocating it in the in-memory table first if the new reftable has none yet).
    /// Returns whether the reftable array had to grow.
    /// </summary>
    private static bool WriteRefblocks(Qcow2Device dev, InMemoryRefcounts imrt, int blockBits, long first, long end, ref ulong[] reftable)
    {
        int cs = dev.ClusterSizeInt;
        long perBlock = 1L << blockBits;
        long firstFree = 0;
        bool grown = false;
        for (long cluster = first; cluster < end; cluster++)
        {
            if (imrt.Get(cluster) == 0) continue;
            long index = cluster >> blockBits;
            long blockStart = index << blockBits;
            long blockOffset;
            if (index < reftable.Length && reftable[index] != 0)
            {
                blockOffset = (long)reftable[index];
            }
            else
            {
                // Never place a block inside a range whose refcount block is already on disk.
                if (firstFree < blockStart) firstFree = blockStart;
                blockOffset = AllocClusters(imrt, 1, ref firstFree, cs);
                long blockCluster = blockOffset / cs;
                if (blockCluster >= end) end = blockCluster + 1; // its own refcount must be written too
                if (reftable.Length <= index)
                {
                    long entries = ((index + 1) * 8 + cs - 1) / cs * cs / 8;
                    if (entries * 8 > Qcow2Refcounts.MaxReftableBytes)
                        throw new CheckAbortedException("ERROR allocating reftable memory", "Cannot allocate memory");
                    Array.Resize(ref reftable, (int)entries);
                    grown = true;
                }
                reftable[index] = (ulong)blockOffset;
            }
            if (!dev.PreWriteOverlapCheck(0, blockOffset, cs))
                throw Failed("ERROR writing refblock");
            dev.File.Write(blockOffset, imrt.Block(index));
            cluster = blockStart + perBlock - 1;
        }
        return grown;
    }

    private static CheckAbortedException Failed(string what) => new($"{what}: Input/output error", "Input/output error");

    /// <summary>alloc_clusters_imrt: the first run of <paramref name="count"/> free clusters from <paramref name="firstFree"/> on, growing the table past the end if needed.</summary>
    private static long AllocClusters(InMemoryRefcounts imrt, long count, ref long firstFree, int cs)
    {
        long cluster = firstFree;
        bool firstGap = true;
        long contiguous = 0;
        for (; cluster < imrt.Clusters && contiguous < count; cluster++)
        {
            if (imrt.Get(cluster) == 0)
            {
                contiguous++;
                if (firstGap)
                {
                    firstFree = cluster;
                    firstGap = false;
                }
            }
            else
            {
                contiguous = 0;
            }
        }
        if (contiguous < count)
            imrt.Resize(cluster + count - contiguous);
        cluster -= contiguous;
        for (long i = 0; i < count; i++)
            imrt.Set(cluster + i, 1);
        return cluster * cs;
    }
}
