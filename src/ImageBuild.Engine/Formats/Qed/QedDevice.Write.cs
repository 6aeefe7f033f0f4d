using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// Writes as qemu's qed_aio_next_io does them: allocated clusters are written in place; anything else is an
/// allocating write of whole clusters at the end of the file, in qemu's order: the need-check bit (no backing
/// file) or a flush (backing file) guards the data, which goes before the L2 table that points at it, and a new
/// L2 table is flushed before the L1 entry that points at it. A crash leaves at worst leaked clusters.
/// </summary>
public sealed partial class QedDevice
{
    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        while (!src.IsEmpty)
        {
            var run = FindCluster(offset, src.Length);
            var part = src[..(int)run.Length];
            if (run.Kind == ClusterKind.Found)
                _file.Write((long)run.FileOffset + Layout.OffsetIntoCluster(offset), part);
            else
                AllocatingWrite(offset, part, part.Length, run.Kind);
            offset += part.Length;
            src = src[part.Length..];
        }
    }

    /// <summary>
    /// bdrv_co_do_pwrite_zeroes over qed: the cluster-aligned middle is a zero write (zero clusters where nothing is
    /// allocated, zeros written in place where clusters are); a head or tail that is not whole clusters is written
    /// as zeros, which allocates its cluster like any write. MayUnmap changes nothing (qed has no zero flags).
    /// </summary>
    protected override void WriteZeroesCore(long offset, long length, WriteZeroesFlags flags)
    {
        long align = Header.ClusterSize;
        long head = offset % align;
        long tail = (offset + length) % align;
        while (length > 0)
        {
            long num = length;
            if (head != 0)
            {
                num = Math.Min(length, align - head);
                head = 0;
            }
            else if (tail != 0 && num > align)
                num -= tail;
            if (offset % align == 0 && num % align == 0)
                ZeroClusters(offset, num);
            else
                base.WriteZeroesCore(offset, num, flags);
            offset += num;
            length -= num;
        }
    }

    /// <summary>qed_co_request with QED_AIOCB_ZERO over whole clusters.</summary>
    private void ZeroClusters(long offset, long length)
    {
        while (length > 0)
        {
            var run = FindCluster(offset, length);
            if (run.Kind == ClusterKind.Found)
                _file.WriteZeros((long)run.FileOffset, run.Length);
            else
                AllocatingWrite(offset, default, run.Length, run.Kind);
            offset += run.Length;
            length -= run.Length;
        }
    }

    /// <summary>
    /// qed_aio_write_alloc: <paramref name="length"/> bytes at <paramref name="pos"/> that the image does not
    /// allocate. With <paramref name="data"/> empty it is a zero write: the entries become zero clusters (and
    /// zero clusters are left alone). Otherwise new clusters are taken from the end of the file and filled: the
    /// parts of the first and last cluster the write does not cover come from the backing file (zeros without
    /// one), also over a zero cluster, as in qemu.
    /// </summary>
    private void AllocatingWrite(long pos, ReadOnlySpan<byte> data, long length, ClusterKind kind)
    {
        bool zero = data.IsEmpty;
        long inCluster = Layout.OffsetIntoCluster(pos);
        long clusters = Layout.ClustersFor(inCluster + length);
        ulong cluster;
        if (zero)
        {
            if (kind == ClusterKind.Zero) return;
            cluster = 1;
        }
        else
            cluster = (ulong)AllocateClusters(clusters);

        // qed_should_set_need_check: with a backing file the flush below keeps the image consistent instead.
        if (Backing is null && !Header.Has(QedHeader.FeatureNeedCheck))
        {
            Header.Features |= QedHeader.FeatureNeedCheck;
            WriteHeader();
        }

        if (!zero)
        {
            long start = Layout.StartOfCluster(pos);
            CopyFromBacking(start, inCluster, (long)cluster);
            long after = pos + length;
            long afterLength = Layout.StartOfCluster(after + Header.ClusterSize - 1) - after;
            CopyFromBacking(after, afterLength, (long)cluster + inCluster + length);
            _file.Write((long)cluster + inCluster, data);
            if (Backing is not null)
                _file.Flush(); // the new clusters are on disk before an L2 entry points at them
        }

        int index = Layout.L2Index(pos);
        if (kind == ClusterKind.MissingInL1)
        {
            ulong l2Offset = (ulong)AllocateClusters(Header.TableSize);
            L2.WriteNew(l2Offset, index, (int)clusters, cluster, Header.ClusterSize);
            _file.Flush(); // the new table is on disk before the L1 entry points at it
            L1.Update(Header.L1TableOffset, Layout.L1Index(pos), 1, l2Offset, Header.ClusterSize);
        }
        else
        {
            ulong l2Offset = L1.Get(Header.L1TableOffset, Layout.L1Index(pos));
            L2.Update(l2Offset, index, (int)clusters, cluster, Header.ClusterSize);
        }
    }

    /// <summary>qed_alloc_clusters: clusters at the end of the file (the file grows as they are written).</summary>
    private long AllocateClusters(long n)
    {
        long offset = FileSize;
        FileSize += n * Header.ClusterSize;
        return offset;
    }

    /// <summary>qed_copy_from_backing_file: backing data (zeros past its end, or without one) written at a file offset.</summary>
    private void CopyFromBacking(long pos, long length, long fileOffset)
    {
        if (length == 0) return;
        const int Piece = 1 << 20;
        byte[] buf = GC.AllocateUninitializedArray<byte>((int)Math.Min(length, Piece));
        for (long done = 0; done < length;)
        {
            int n = (int)Math.Min(buf.Length, length - done);
            ReadBacking(pos + done, buf.AsSpan(0, n));
            _file.Write(fileOffset + done, buf.AsSpan(0, n));
            done += n;
        }
    }

    /// <summary>
    /// qed_write_header(_sync): the 64 header bytes in place (qemu rewrites the sector they are in, unchanged
    /// otherwise). The backing file name after them is not touched.
    /// </summary>
    internal void WriteHeader() => _file.Write(0, Header.ToBytes());
}
