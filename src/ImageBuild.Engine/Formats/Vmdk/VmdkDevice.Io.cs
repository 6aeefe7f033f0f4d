using ImageBuild.Engine.Block;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Engine.Formats.Vmdk;

public sealed partial class VmdkDevice
{
    /// <summary>qemu's s->cid_updated: the CID is rewritten once, on the first write after open.</summary>
    private bool _cidUpdated;

    /// <summary>qemu's s->cid_checked: the parent's CID was found equal to our parentCID.</summary>
    private bool _cidChecked;

    /// <summary>qemu's find_extent: the extent holding guest byte <paramref name="offset"/>.</summary>
    private int FindExtent(long offset)
    {
        int i = Array.BinarySearch(_starts, offset);
        if (i < 0) i = ~i - 1;
        // zero-length extents share a start with the next one: take the last extent starting here that has bytes
        while (i < _extents.Length - 1 && offset >= _starts[i] + _extents[i].Length) i++;
        return i;
    }

    /// <summary>Calls <paramref name="chunk"/> for each extent piece of [offset, offset+length): (extent, offset in extent, offset in request, length).</summary>
    private void ForEachExtent(long offset, long length, Action<VmdkExtent, long, long, long> chunk)
    {
        long done = 0;
        while (done < length)
        {
            int i = FindExtent(offset + done);
            var extent = _extents[i];
            long inExtent = offset + done - _starts[i];
            long n = Math.Min(length - done, extent.Length - inExtent);
            chunk(extent, inExtent, done, n);
            done += n;
        }
    }

    /// <summary>
    /// qemu's vmdk_co_preadv: per extent and run, data from the extent's file (compressed grains through the extent),
    /// zeroed grains as zeros, unallocated runs from the backing file after the CID check (zeros without one).
    /// </summary>
    protected override void ReadCore(long offset, Span<byte> dest)
    {
        long done = 0;
        while (done < dest.Length)
        {
            int i = FindExtent(offset + done);
            var extent = _extents[i];
            long inExtent = offset + done - _starts[i];
            long max = Math.Min(dest.Length - done, extent.Length - inExtent);
            var run = extent.Lookup(inExtent, max);
            long n = Math.Clamp(run.Length, 1, max);
            var target = dest.Slice((int)done, (int)n);
            switch (run.State)
            {
                case GrainState.Unallocated when Backing is not null:
                    if (!IsCidValid())
                        throw InvalidArgument(); // qemu: -EINVAL from vmdk_co_preadv
                    ReadBacking(offset + done, target);
                    break;
                case GrainState.Unallocated:
                case GrainState.Zero:
                    target.Clear();
                    break;
                default:
                    extent.ReadRun(run, inExtent, target);
                    break;
            }
            done += n;
        }
    }

    /// <summary>
    /// qemu's vmdk_is_cid_valid: reading through to the parent needs the parent to be a VMDK whose current CID is
    /// our parentCID (VMDK 5.0 spec: a delta is only valid over the parent content it was made from).
    /// </summary>
    private bool IsCidValid()
    {
        if (_cidChecked) return true;
        if (Backing is not VmdkDevice parent || parent.CurrentCid() is not { } current || current != ParentCid)
            return false;
        _cidChecked = true;
        return true;
    }

    /// <summary>The CID as the file holds it now (qemu's vmdk_read_cid on the parent, at each check).</summary>
    internal uint? CurrentCid() => VmdkDescriptor.ReadCid(ReadCidArea(_file, _descOffset), parent: false);

    /// <summary>
    /// qemu's vmdk_pwritev: per extent piece (extents that cannot be written refuse as qemu does), then the CID
    /// rewrite after the first piece of the first write since open.
    /// </summary>
    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        long done = 0;
        while (done < src.Length)
        {
            int i = FindExtent(offset + done);
            var extent = _extents[i];
            long extentStart = _starts[i];
            long inExtent = offset + done - extentStart;
            int n = (int)Math.Min(src.Length - done, extent.Length - inExtent);
            if (!extent.IsWritable)
                throw new ImageException("Operation not supported") { Errno = 95 };
            extent.Write(inExtent, src.Slice((int)done, n), (o, d) => ReadBacking(extentStart + o, d));
            done += n;
            UpdateCidOnce();
        }
    }

    /// <summary>
    /// Write-zeroes as qemu's block layer drives vmdk_co_pwrite_zeroes: the request is cut at the largest grain size
    /// of the sparse extents (qemu's pwrite_zeroes_alignment); each piece whose extent pieces are whole grains becomes
    /// zeroed grains where the extent can, and everything else is written as zeros.
    /// </summary>
    protected override void WriteZeroesCore(long offset, long length, WriteZeroesFlags flags)
    {
        long align = 0;
        foreach (var e in _extents)
            if (e is not FlatExtent) align = Math.Max(align, e.GrainSize);
        if (align == 0)
        {
            base.WriteZeroesCore(offset, length, flags);
            return;
        }
        long end = offset + length;
        while (offset < end)
        {
            long next = offset % align != 0 ? Math.Min(end, offset - offset % align + align)
                : end - offset >= align ? end - (end - offset) % align : end;
            ZeroPiece(offset, next - offset, flags);
            offset = next;
        }
    }

    private void ZeroPiece(long offset, long length, WriteZeroesFlags flags)
    {
        bool wholeGrains = true;
        ForEachExtent(offset, length, (extent, inExtent, _, n) =>
        {
            int grain = extent.GrainSize;
            if (extent is FlatExtent || grain == 0 || inExtent % grain != 0 || n % grain != 0)
                wholeGrains = false;
        });
        if (!wholeGrains)
        {
            base.WriteZeroesCore(offset, length, flags);
            return;
        }
        ForEachExtent(offset, length, (extent, inExtent, inRequest, n) =>
        {
            if (!extent.TryWriteZeroes(inExtent, n))
                base.WriteZeroesCore(offset + inRequest, n, flags);
        });
        UpdateCidOnce();
    }

    /// <summary>qemu's vmdk_write_cid on the first write since open: a new CID (from the context's identity source) rewritten in place.</summary>
    private void UpdateCidOnce()
    {
        if (_cidUpdated) return;
        uint cid = _context.Identity.ForImage(Filename).NewUInt32("vmdk-cid");
        // qemu reads and writes 20 sectors at desc_offset, but a descriptor file only grows to its next whole sector
        long roundedEnd = (_file.Length + 511) & ~511L;
        int size = (int)Math.Clamp(roundedEnd - _descOffset, 0, VmdkDescriptor.CidAreaSize);
        var area = new byte[size];
        _file.Read(_descOffset, area);
        if (!VmdkDescriptor.RewriteCid(area, cid))
            throw InvalidArgument();
        _file.Write(_descOffset, area);
        _file.Flush();
        _cidUpdated = true;
    }

    /// <summary>
    /// qemu's vmdk_co_block_status: allocated data at its offset in the extent's file (flat extents ask the file
    /// for holes), compressed grains as data without an offset, zeroed grains as zeros, the rest unallocated.
    /// </summary>
    public override DriverStatus GetDriverStatus(long offset, long length)
    {
        int i = FindExtent(offset);
        var extent = _extents[i];
        long inExtent = offset - _starts[i];
        var run = extent.Lookup(inExtent, Math.Min(length, extent.Length - inExtent));
        long n = Math.Clamp(run.Length, 1, Math.Min(length, extent.Length - inExtent));
        return run.State switch
        {
            GrainState.Zero => new DriverStatus(n, BlockStatusFlags.Zero),
            GrainState.Data => new DriverStatus(n,
                BlockStatusFlags.Data | BlockStatusFlags.OffsetValid | (extent is FlatExtent ? BlockStatusFlags.Recurse : 0),
                run.HostOffset, extent.File),
            GrainState.Compressed => new DriverStatus(n, BlockStatusFlags.Data, 0, extent.File),
            _ => DriverStatus.Unallocated(n),
        };
    }

    /// <summary>qemu's needs_compressed_writes: a stream-optimized first extent takes only compressed grains.</summary>
    public override bool NeedsCompressedWrites => _extents.Length > 0 && _extents[0].IsCompressed;

    public override ClusterCompressor? CreateCompressor(DeflateLibrary deflate) =>
        _extents.Length > 0 ? _extents[0].CreateGrainCompressor(deflate) : new VmdkGrainCompressor(deflate);

    /// <summary>
    /// qemu's vmdk_co_pwritev_compressed: one compressed grain appended to the stream-optimized extent holding it; into
    /// an uncompressed sparse extent qemu writes the grain's plain data (flat extents refuse: "invalid cluster size").
    /// </summary>
    public override void WriteCompressedCluster(long offset, ReadOnlySpan<byte> compressed)
    {
        int i = FindExtent(offset);
        var extent = _extents[i];
        long extentStart = _starts[i];
        if (extent.IsCompressed)
        {
            extent.WriteCompressedGrain(offset - extentStart, compressed, (o, d) => ReadBacking(extentStart + o, d));
            UpdateCidOnce();
            return;
        }
        if (extent.GrainSize == 0) throw new ImageException("invalid cluster size");
        var plain = new byte[Math.Min(extent.GrainSize, VirtualSize - offset)];
        if (!new VmdkGrainCompressor().TryDecompress(compressed, plain))
            throw new ImageException("Input/output error") { Errno = 5 };
        Write(offset, plain);
    }

    public override void FinishCompressedWrites()
    {
        foreach (var e in _extents) e.FinishCompressedWrites();
    }

    public override void Flush()
    {
        // every extent, the one in the image's own file too: a stream extent writes its end section on flush
        foreach (var e in _extents) e.Flush();
        if (!_extents.Any(e => ReferenceEquals(e.File, _file))) _file.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        // every extent, the one in the image's own file too (a stream extent ends its stream on close); disposing a
        // file twice is harmless
        foreach (var e in _extents) e.Dispose();
        foreach (var f in _kept) f.Dispose();
        _file.Dispose();
    }
}
