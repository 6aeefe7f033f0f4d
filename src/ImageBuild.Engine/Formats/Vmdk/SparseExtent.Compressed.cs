using System.Buffers;
using System.IO.Compression;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// Compressed grains (stream-optimized extents): reading one as qemu's vmdk_read_extent does (a grain marker, or a
/// bare zlib stream without markers, inflating to at most one grain), and appending them as
/// vmdk_co_pwritev_compressed does. The compressed data read is bounded by two grains and by the file, whatever a
/// marker claims; inflating streams into the caller's buffer, so a grain never costs more than its own size.
/// </summary>
internal sealed partial class SparseExtent
{
    /// <summary>
    /// Where a compressed write has reached: qemu writes each new grain's whole extent (zeros) before the marker,
    /// so the file reaches at least the end of the last grain allocated; the zeros are left to the file system
    /// (a hole) and the file is extended to this length when the run of writes ends.
    /// </summary>
    private long _claimedLength;

    public override void ReadRun(GrainRun run, long offset, Span<byte> dest)
    {
        if (run.State != GrainState.Compressed)
        {
            base.ReadRun(run, offset, dest);
            return;
        }
        ReadCompressed(run.HostOffset, offset % GrainBytes, dest);
    }

    private void ReadCompressed(long host, long inGrain, Span<byte> dest)
    {
        long grain = GrainBytes;
        long buffer = 2 * grain; // qemu reads two grains in case marker and data exceed one
        long dataStart = host;
        long dataLength = grain; // without markers qemu hands uncompress one grain of input
        if (HasMarkers)
        {
            Span<byte> m = stackalloc byte[GrainMarker.HeaderSize];
            File!.Read(host, m);
            dataLength = GrainMarker.Parse(m).Size;
            dataStart = host + GrainMarker.HeaderSize;
        }
        if (dataLength == 0 || dataLength > buffer)
            throw Error(Einval);
        long available = Math.Max(0, File!.Length - dataStart); // past the end qemu reads zeros: no stream there
        long count = Math.Min(Math.Min(dataLength, buffer - (dataStart - host)), available);
        if (count == 0) throw Error(Einval);
        if (count > MaxBufferedInput)
        {
            // a huge grain (qemu allows 1 GiB): inflated straight from the file, never held in memory
            using var range = new FileRangeStream(File, dataStart, count);
            if (!Inflate(range, inGrain, dest, grain)) throw Error(Einval);
            return;
        }
        byte[] input = ArrayPool<byte>.Shared.Rent((int)count);
        try
        {
            File.Read(dataStart, input.AsSpan(0, (int)count));
            if (!Inflate(input.AsSpan(0, (int)count), inGrain, dest, grain))
                throw Error(Einval);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    /// <summary>Compressed input up to this size is read whole (two default grains are 128 KiB).</summary>
    private const int MaxBufferedInput = 4 << 20;

    private static unsafe bool Inflate(ReadOnlySpan<byte> src, long skip, Span<byte> dest, long limit)
    {
        fixed (byte* p = src)
        {
            using var input = new UnmanagedMemoryStream(p, src.Length);
            return Inflate(input, skip, dest, limit);
        }
    }

    /// <summary>
    /// Inflates a zlib stream, skipping <paramref name="skip"/> bytes and filling <paramref name="dest"/>; false when
    /// the data is not a zlib stream, ends before dest is full, or inflates to more than <paramref name="limit"/>.
    /// </summary>
    private static bool Inflate(Stream input, long skip, Span<byte> dest, long limit)
    {
        using var z = new ZLibStream(input, CompressionMode.Decompress, leaveOpen: true);
        long produced = skip + dest.Length;
        try
        {
            if (skip > 0)
            {
                byte[] scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
                try
                {
                    while (skip > 0)
                    {
                        int n = z.Read(scratch, 0, (int)Math.Min(skip, scratch.Length));
                        if (n == 0) return false;
                        skip -= n;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                }
            }
            int filled = 0;
            while (filled < dest.Length)
            {
                int n = z.Read(dest[filled..]);
                if (n == 0) return false;
                filled += n;
            }
            // qemu's uncompress fails (Z_BUF_ERROR) when the grain inflates to more than one grain
            Span<byte> probe = stackalloc byte[1];
            return produced < limit || z.Read(probe) == 0;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>
    /// qemu's vmdk_co_pwritev_compressed for one grain already compressed (zlib, by <see cref="VmdkGrainCompressor"/>):
    /// refused on an allocated grain; otherwise a new grain is allocated at the next free sector and its marker
    /// (spec: lba, size) and data written there, then the GT entries (both tables).
    /// </summary>
    public override void WriteCompressedGrain(long offset, ReadOnlySpan<byte> compressed) =>
        WriteCompressedGrain(offset, compressed, null);

    public override void WriteCompressedGrain(long offset, ReadOnlySpan<byte> compressed, BelowReader? below)
    {
        if (_stream is not null)
        {
            AppendStreamGrain(offset, compressed);
            return;
        }
        var slot = PrepareCompressedAllocation(offset);
        long host = AllocateGrain();
        _claimedLength = Math.Max(_claimedLength, host + GrainBytes); // qemu writes over the whole grain first
        AppendCompressed(offset, host, compressed);
        FillTail(slot, offset, host, GrainMarker.HeaderSize + compressed.Length, below);
        UpdateGrainTables([(slot, (uint)(host / 512))]);
    }

    /// <summary>
    /// The end of the last grain tail written with data from below: bytes up to here may hold such data, which a
    /// later grain's fill (zeros in qemu) must overwrite.
    /// </summary>
    private long _dirtyEnd;

    /// <summary>
    /// What qemu's fill leaves after the marker and data: the rest of the grain from below (zeros without a backing
    /// file: then nothing is written, the file is only extended at the end, unless an earlier tail must be cleared).
    /// </summary>
    private void FillTail(GrainSlot slot, long offset, long host, int written, BelowReader? below)
    {
        int grain = (int)GrainBytes;
        if (written >= grain) return;
        long tailStart = host + written;
        byte[] buf = ArrayPool<byte>.Shared.Rent(grain);
        try
        {
            var whole = buf.AsSpan(0, grain);
            if (below is not null && !IsZeroed(slot.Entry)) below(offset, whole);
            else whole.Clear();
            var tail = whole[written..];
            if (tail.ContainsAnyExcept((byte)0))
            {
                File!.Write(tailStart, tail);
                _dirtyEnd = host + grain;
            }
            else if (_dirtyEnd > tailStart)
            {
                File!.Write(tailStart, tail[..(int)Math.Min(tail.Length, _dirtyEnd - tailStart)]);
                _dirtyEnd = tailStart;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>The checks before a compressed grain is allocated (qemu: "Could not write to allocated cluster").</summary>
    private GrainSlot PrepareCompressedAllocation(long offset)
    {
        if (!HasMarkers) throw Error(Einval); // qemu writes compressed grains only behind markers
        var slot = Locate(offset, Einval);
        if (slot.Entry != 0 && !IsZeroed(slot.Entry))
            throw new ImageException("Could not write to allocated cluster for streamOptimized") { Errno = Eio };
        if (slot.GtSector == 0) throw Error(Einval); // no grain table to record the grain in
        return slot;
    }

    /// <summary>Writes marker and data at <paramref name="host"/>; the next grain goes to the following sector.</summary>
    private void AppendCompressed(long offset, long host, ReadOnlySpan<byte> compressed)
    {
        int total = GrainMarker.HeaderSize + compressed.Length;
        byte[] buf = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            // spec: the marker's lba is the grain's first sector (qemu: in the disk, which is this extent's for a
            // monolithic stream)
            new GrainMarker((ulong)offset >> 9, (uint)compressed.Length).WriteTo(buf);
            compressed.CopyTo(buf.AsSpan(GrainMarker.HeaderSize));
            File!.Write(host, buf.AsSpan(0, total));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
        _nextGrainSector = (host + total + 511) / 512; // qemu: a compressed write sets, not raises, the next sector
    }

    /// <summary>
    /// A plain write into a stream-optimized extent (qemu without -c): whole grains only (the last may end at the
    /// extent's end), each compressed as qemu does and appended; the grain is first filled from below as qemu's
    /// get_whole_cluster does, so a refused partial grain leaks as in qemu.
    /// </summary>
    private void WriteCompressedPieces(long offset, ReadOnlySpan<byte> src, BelowReader below)
    {
        var compressor = new VmdkGrainCompressor();
        byte[] payload = ArrayPool<byte>.Shared.Rent((int)(2 * GrainBytes));
        byte[] fill = ArrayPool<byte>.Shared.Rent((int)GrainBytes);
        try
        {
            while (!src.IsEmpty)
            {
                long inGrain = offset % GrainBytes;
                int n = (int)Math.Min(src.Length, GrainBytes - inGrain);
                var slot = Locate(offset, Einval);
                if (slot.Entry != 0 && !IsZeroed(slot.Entry))
                    throw new ImageException("Could not write to allocated cluster for streamOptimized") { Errno = Eio };
                if (slot.GtSector == 0) throw Error(Einval);
                long host = AllocateGrain();
                var whole = fill.AsSpan(0, (int)GrainBytes);
                if (IsZeroed(slot.Entry)) whole.Clear();
                else below(offset - inGrain, whole);
                File!.Write(host, whole);
                if (whole.ContainsAnyExcept((byte)0)) _dirtyEnd = host + GrainBytes; // what a later fill must clear
                else if (_dirtyEnd <= host + GrainBytes) _dirtyEnd = Math.Min(_dirtyEnd, host);
                bool wholeGrain = inGrain == 0 && (n == GrainBytes || offset + n == Length);
                if (!wholeGrain || !HasMarkers) throw Error(Einval);
                int len = compressor.Compress(src[..n], payload.AsSpan(0, (int)(2 * GrainBytes)));
                if (len <= 0) throw Error(Einval);
                AppendCompressed(offset, host, payload.AsSpan(0, len));
                UpdateGrainTables([(slot, (uint)(host / 512))]);
                offset += n;
                src = src[n..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
            ArrayPool<byte>.Shared.Return(fill);
        }
    }

    /// <summary>qemu's end-of-stream call: the file reaches its last grain's end, rounded up to a whole sector.</summary>
    public override void FinishCompressedWrites()
    {
        if (_stream is not null)
        {
            FinishStream();
            return;
        }
        ExtendToClaimed();
        long length = File!.Length;
        if (length % 512 != 0) File.SetLength((length + 511) / 512 * 512);
    }

    private void ExtendToClaimed()
    {
        if (_claimedLength > File!.Length) File.SetLength(_claimedLength);
        _claimedLength = 0;
    }

    public override void Flush()
    {
        if (_stream is not null) FinishStream();
        ExtendToClaimed();
        base.Flush();
    }

    public override void Dispose()
    {
        try
        {
            if (File!.Writable && _stream is not null) FinishStream();
            if (File!.Writable) ExtendToClaimed();
        }
        finally
        {
            base.Dispose();
        }
    }
}
