using ImageBuild.Engine.Compression;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>Compressed cluster writes (qcow2_co_pwritev_compressed): payloads packed byte by byte into host clusters.</summary>
public sealed partial class Qcow2Device
{
    /// <summary>Where the next compressed payload may start inside a partly used host cluster (0: none).</summary>
    private long _freeByteOffset;

    public override ClusterCompressor? CreateCompressor(DeflateLibrary deflate) =>
        HasDataFile ? null : ClusterCompressor.Create((ClusterCompressionType)Header.CompressionType, deflate);

    public override void WriteCompressedCluster(long offset, ReadOnlySpan<byte> compressed)
    {
        if (ReadOnly) throw NotWritable();
        if (HasDataFile)
            throw new ImageException("Compression not supported for this file format");
        int cs = ClusterSizeInt;
        if ((offset & (cs - 1)) != 0 || offset >= VirtualSize)
            throw new ImageException($"'{Filename}': compressed write at {offset} is not a whole cluster of the image");
        if (compressed.IsEmpty || compressed.Length >= cs)
            throw new ImageException($"'{Filename}': compressed payload of {compressed.Length} bytes does not fit a {cs}-byte cluster");
        BeginModification();
        MarkDirtyIfLazy();

        long ci = offset >> ClusterBits;
        long l1Index = ci >> L2Bits;
        int l2Index = (int)(ci & (L2Entries - 1));
        long l2Offset = GetL2ForWrite(l1Index);
        var l2 = L2Cache.Get(l2Offset);
        ulong old = GetEntry(l2, l2Index);
        if ((old & L2Entry.OffsetMask) != 0 || (old & L2Entry.CompressedFlag) != 0)
            throw new ImageException($"'{Filename}': cannot write a compressed cluster over the allocated cluster at {offset}");

        // Refcounts first, then the payload, then the L2 entry that points at it: a crash leaks at worst.
        long host = AllocCompressedBytes(compressed.Length);
        Refcounts.Cache.Flush();
        EnsureNoOverlap(0, host, compressed.Length);
        _file.Write(host, compressed);
        l2 = L2Cache.Get(l2Offset);
        SetEntry(l2, l2Index, CompressedDescriptor.Encode(host, compressed.Length, ClusterBits), 0);
        L2Cache.MarkDirty(l2Offset);
    }

    /// <summary>qemu pads the image file to a whole sector after compressed writes.</summary>
    public override void FinishCompressedWrites()
    {
        if (ReadOnly) return;
        long len = _file.Length;
        long padded = (len + 511) & ~511L;
        if (padded != len) _file.SetLength(padded);
    }

    /// <summary>
    /// qcow2_alloc_bytes: continues in the host cluster the previous payload ended in while the new one fits (or
    /// the next free cluster follows it directly), otherwise starts a new cluster. Every host cluster a payload
    /// touches gains one reference.
    /// </summary>
    private long AllocCompressedBytes(int size)
    {
        int cs = ClusterSizeInt;
        long offset = _freeByteOffset;
        if (offset != 0 && Refcounts.GetRefcount(offset >> ClusterBits) == RefcountBlock.MaxRefcount((int)Header.RefcountOrder))
            offset = 0;
        long freeInCluster = offset == 0 ? 0 : cs - (offset & (cs - 1));
        if (offset == 0 || freeInCluster < size)
        {
            long fresh = Refcounts.AllocClusters(cs); // counts this payload's reference to the new cluster
            if (offset == 0 || ((offset + cs - 1) & ~(long)(cs - 1)) != fresh)
            {
                offset = fresh;
            }
            else
            {
                // The payload spans the tail of the current cluster and the new one right after it.
                Refcounts.Update(offset & ~(long)(cs - 1), 1, 1, decrease: false);
            }
        }
        else
        {
            Refcounts.Update(offset & ~(long)(cs - 1), 1, 1, decrease: false);
        }
        _freeByteOffset = offset + size;
        if ((_freeByteOffset & (cs - 1)) == 0) _freeByteOffset = 0;
        return offset;
    }
}
