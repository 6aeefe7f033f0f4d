using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Engine.Formats.Qcow;

/// <summary>
/// Writes as qemu's qcow driver lays them out: a missing L2 table, a new cluster and a compressed stream are each
/// placed at the end of the file (tables and clusters rounded up to a cluster, compressed streams to a sector), so
/// the bytes equal qemu's. The order differs where qemu's could corrupt on a crash: the new L2 table is written (and
/// flushed) before the L1 entry that points at it, and a cluster's data before the L2 entry that points at it, so
/// a crash leaves at worst unreferenced space at the end of the file. Runs of new clusters are allocated and written
/// together (qemu takes them one at a time, at the same places). One deliberate difference: the part of a new cluster
/// a write does not cover is filled from the backing file, where qemu leaves zeros (see CopyBackingAround).
/// </summary>
public sealed partial class QcowDevice
{
    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        _clusterCacheOffset = -1; // as qemu: a write disables the compressed-cluster cache
        while (!src.IsEmpty)
        {
            int n = WriteRun(offset, src);
            offset += n;
            src = src[n..];
        }
    }

    /// <summary>Writes the start of <paramref name="src"/> that one step covers (within one L2 table); returns its length.</summary>
    private int WriteRun(long offset, ReadOnlySpan<byte> src)
    {
        long ci = offset >> _clusterBits;
        int inCluster = (int)(offset & (_clusterSize - 1));
        long l1Index = ci >> _l2Bits;
        int l2Index = (int)(ci & (L2Entries - 1));
        int first = Math.Min(_clusterSize - inCluster, src.Length);
        var (l2Offset, table) = L2ForWrite(l1Index);
        var entry = new QcowL2Entry(table[l2Index]);

        if (entry.IsNormal)
        {
            // Clusters in place, as far as they follow each other on the host.
            int length = first;
            for (int i = l2Index + 1; length < src.Length && i < table.Length &&
                 table[i] == entry.HostOffset + (ulong)(i - l2Index) * (ulong)_clusterSize; i++)
                length += Math.Min(_clusterSize, src.Length - length);
            long host = (long)entry.HostOffset + inCluster;
            CheckDataCluster(entry.HostOffset, host, length);
            WriteData(host, offset, src[..length]); // a corrupt table may name any offset: past the largest file, EFBIG
            return length;
        }

        if (entry.IsCompressed && first < _clusterSize)
        {
            // qemu decompresses a compressed cluster that is partly overwritten and writes it whole at a new place.
            Decompress(entry);
            var cluster = (byte[])_clusterCache.Clone();
            src[..first].CopyTo(cluster.AsSpan(inCluster));
            long host = EndOfFileRoundedTo(_clusterSize);
            // qemu writes the decompressed part unencrypted into a cluster that then reads as encrypted (garbage);
            // here the whole cluster is encrypted, so it reads back as written.
            _cipher?.Encrypt((ulong)(offset - inCluster) / Sectors.Size, cluster);
            _file.Write(host, cluster);
            _file.Flush();
            _l2Cache.SetEntry(l2Offset, table, l2Index, (ulong)host);
            return first;
        }

        // New clusters: this one and those after it in the table that are unallocated, or compressed and wholly
        // overwritten, one after another at the end of the file (where qemu puts them one at a time).
        int count = 1, covered = first;
        while (covered < src.Length && l2Index + count < table.Length)
        {
            var next = new QcowL2Entry(table[l2Index + count]);
            int part = Math.Min(_clusterSize, src.Length - covered);
            if (!next.IsUnallocated && !(next.IsCompressed && part == _clusterSize))
                break;
            covered += part;
            count++;
        }
        long start = EndOfFileRoundedTo(_clusterSize);
        _file.SetLength(start + (long)count * _clusterSize);
        if (_cipher is not null)
            WriteNewEncrypted(offset, src[..covered], start, count);
        else
        {
            CopyBackingAround(offset, covered, start, count);
            _file.Write(start + inCluster, src[..covered]);
        }
        _file.Flush();
        var entries = new ulong[count];
        for (int i = 0; i < count; i++)
            entries[i] = (ulong)(start + (long)i * _clusterSize);
        _l2Cache.SetEntries(l2Offset, table, l2Index, entries);
        return covered;
    }

    /// <summary>
    /// New clusters of an AES image are written whole, every sector encrypted: what the write does not cover is the
    /// backing file's data (see <see cref="CopyBackingAround"/>) or zeros, as qemu's get_cluster_offset writes
    /// encrypted zero sectors around a partial write (a host zero would read as garbage).
    /// </summary>
    private void WriteNewEncrypted(long offset, ReadOnlySpan<byte> src, long start, int count)
    {
        int inCluster = (int)(offset & (_clusterSize - 1));
        long firstCluster = offset - inCluster;
        long end = offset + src.Length;
        int batch = Math.Max(1, EncryptBatchBytes / _clusterSize);
        var buf = new byte[(long)Math.Min(batch, count) * _clusterSize];
        for (int done = 0; done < count; done += batch)
        {
            int n = Math.Min(batch, count - done);
            long guestStart = firstCluster + (long)done * _clusterSize, guestEnd = guestStart + (long)n * _clusterSize;
            var piece = buf.AsSpan(0, n * _clusterSize);
            piece.Clear();
            if (Backing is not null)
            {
                long visibleEnd = Math.Min(guestEnd, VirtualSize);
                if (offset > guestStart)
                    ReadBacking(guestStart, piece[..(int)(offset - guestStart)]);
                if (end < visibleEnd)
                    ReadBacking(Math.Max(end, guestStart), piece[(int)(Math.Max(end, guestStart) - guestStart)..(int)(visibleEnd - guestStart)]);
            }
            long from = Math.Max(offset, guestStart), to = Math.Min(end, guestEnd);
            if (to > from)
                src[(int)(from - offset)..(int)(to - offset)].CopyTo(piece[(int)(from - guestStart)..]);
            _cipher!.Encrypt((ulong)guestStart / Sectors.Size, piece);
            _file.Write(start + (long)done * _clusterSize, piece);
        }
    }

    /// <summary>How much of a run of new encrypted clusters is built in memory at a time.</summary>
    private const int EncryptBatchBytes = 1 << 20;

    /// <summary>Guest data written in place: encrypted (by guest sector) when the image is, as qemu's qcow_co_pwritev.</summary>
    private void WriteData(long host, long guestOffset, ReadOnlySpan<byte> data)
    {
        if (_cipher is null)
        {
            _file.Write(host, data);
            return;
        }
        byte[] buf = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Min(data.Length, EncryptBatchBytes));
        try
        {
            for (int done = 0; done < data.Length; done += EncryptBatchBytes)
            {
                var span = buf.AsSpan(0, Math.Min(EncryptBatchBytes, data.Length - done));
                data.Slice(done, span.Length).CopyTo(span);
                _cipher.Encrypt((ulong)(guestOffset + done) / Sectors.Size, span);
                _file.Write(host + done, span);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buf, clearArray: true);
        }
    }

    /// <summary>
    /// Fills the parts of new clusters [<paramref name="start"/>, +<paramref name="count"/> clusters) that the write
    /// of guest [<paramref name="offset"/>, +<paramref name="length"/>) does not cover with what the backing file
    /// reads there. qemu's driver leaves them zero, which loses the backing data; it never meets the case in images it
    /// creates (with a backing file their clusters are one 512-byte request), and qemu-img commit writes whole
    /// clusters of the base, so copying is what keeps the guest's view, as in qemu-img. Without a backing file the
    /// new clusters are already zero.
    /// </summary>
    private void CopyBackingAround(long offset, int length, long start, int count)
    {
        if (Backing is null)
            return;
        long guestStart = offset & ~(long)(_clusterSize - 1);
        long guestEnd = Math.Min(guestStart + (long)count * _clusterSize, VirtualSize);
        long head = offset - guestStart, tailStart = offset + length;
        if (head > 0)
        {
            var buf = new byte[head];
            ReadBacking(guestStart, buf);
            _file.Write(start, buf);
        }
        if (tailStart < guestEnd)
        {
            var buf = new byte[guestEnd - tailStart];
            ReadBacking(tailStart, buf);
            _file.Write(start + (tailStart - guestStart), buf);
        }
    }

    /// <summary>
    /// The L2 table of an L1 entry, allocated when missing: a zeroed table at the end of the file rounded up to a
    /// cluster, flushed, then the L1 entry.
    /// </summary>
    private (long Offset, ulong[] Table) L2ForWrite(long l1Index)
    {
        ulong existing = _l1[l1Index];
        if (existing != 0)
            return ((long)existing, _l2Cache.Get((long)existing, l1Index));
        long offset = EndOfFileRoundedTo(_clusterSize);
        _file.Write(offset, new byte[_l2Cache.TableBytes]);
        _file.Flush();
        Span<byte> entry = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64BigEndian(entry, (ulong)offset);
        _file.Write(_l1Offset + l1Index * sizeof(ulong), entry);
        _l1[l1Index] = (ulong)offset;
        return (offset, _l2Cache.AddZeroed(offset));
    }

    /// <summary>
    /// Where qemu puts new data: bdrv_getlength (the file length in whole sectors) rounded up to
    /// <paramref name="alignment"/>, a multiple of a sector (a cluster for tables and clusters, a sector for streams).
    /// </summary>
    private long EndOfFileRoundedTo(int alignment) => (_file.Length + alignment - 1) & ~(long)(alignment - 1);

    /// <summary>Raw deflate with a 4 KiB window, as qemu's qcow_co_pwritev_compressed (and qcow2's zlib) compress.</summary>
    public override ClusterCompressor? CreateCompressor(DeflateLibrary deflate) => new DeflateClusterCompressor(DeflateClusterCompressor.DefaultLevel, deflate);

    /// <summary>
    /// qcow_co_pwritev_compressed for a cluster that compressed: the stream goes at the end of the file rounded up
    /// to a sector, then the L2 entry (with its length) points at it.
    /// </summary>
    public override void WriteCompressedCluster(long offset, ReadOnlySpan<byte> compressed)
    {
        if (ReadOnly) throw NotWritable();
        if ((offset & (_clusterSize - 1)) != 0 || offset < 0 || offset >= VirtualSize)
            throw new ImageException($"'{Filename}': compressed write at {offset} is not a whole cluster of the image");
        if (compressed.IsEmpty || compressed.Length >= _clusterSize)
            throw new ImageException($"'{Filename}': compressed payload of {compressed.Length} bytes does not fit a {_clusterSize}-byte cluster");
        _clusterCacheOffset = -1;
        long ci = offset >> _clusterBits;
        var (l2Offset, table) = L2ForWrite(ci >> _l2Bits);
        int l2Index = (int)(ci & (L2Entries - 1));
        if (table[l2Index] != 0)
            throw new ImageException($"'{Filename}': cannot write a compressed cluster over the allocated cluster at {offset}");
        long host = EndOfFileRoundedTo(Sectors.Size);
        if (!QcowL2Entry.CompressedOffsetFits(host, _clusterBits))
            throw new ImageException($"'{Filename}': compressed cluster offset {host} does not fit an L2 entry");
        _file.Write(host, compressed);
        _file.Flush();
        _l2Cache.SetEntry(l2Offset, table, l2Index, QcowL2Entry.Compressed(host, compressed.Length, _clusterBits).Raw);
    }

    /// <summary>
    /// qcow_make_empty (after commit): a zeroed L1 table, flushed, then the file cut right after it, which drops
    /// every L2 table and cluster.
    /// </summary>
    public override void MakeEmpty()
    {
        if (ReadOnly) throw NotWritable();
        long l1Bytes = (long)_l1.Length * sizeof(ulong);
        Array.Clear(_l1);
        _file.WriteZeros(_l1Offset, l1Bytes);
        _file.Flush();
        _file.SetLength(_l1Offset + l1Bytes);
        _l2Cache.Clear();
        _clusterCacheOffset = -1;
    }
}
