using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Block;

/// <summary>
/// An opened image (qemu's BlockDriverState for a format node): a guest-visible byte array of
/// <see cref="VirtualSize"/> bytes backed by a format driver, with an optional backing device.
/// Reads of ranges this layer does not allocate fall through to the backing device (zeros past
/// its end). A device is not thread-safe: one caller at a time.
/// </summary>
public abstract class BlockDevice : IDisposable
{
    private bool _disposed;

    protected BlockDevice(string filename, bool readOnly)
    {
        Filename = filename;
        ReadOnly = readOnly;
    }

    /// <summary>
    /// The image's filename as the user gave it (or as resolved for a backing file); for an image opened from open
    /// options whose strong options matter (qemu's bdrv_refresh_filename), the json: name qemu shows.
    /// </summary>
    public string Filename { get; internal set; }

    /// <summary>The driver name as qemu prints it ("raw", "qcow2", ...).</summary>
    public abstract string FormatName { get; }

    public bool ReadOnly { get; }

    public abstract long VirtualSize { get; }

    /// <summary>Cluster size reported by info; 0 when the format has none.</summary>
    public virtual int ClusterSize => 0;

    /// <summary>The primary host file (for actual size and protocol-level status).</summary>
    public abstract HostFile File { get; }

    /// <summary>
    /// Every host file this image consists of, primary first (a qcow2 external data file, VMDK extents), as the
    /// names the device opened or would open them under. Whatever treats an image as files (locking, hashing,
    /// copying, renaming, pruning, MSBuild FileWrites) uses this list. The backing chain is not included.
    /// </summary>
    public virtual IReadOnlyList<string> HostFileNames => [File.Path];

    /// <summary>Host disk usage in bytes (st_blocks), or null when unavailable.</summary>
    public virtual long? ActualSize
    {
        get
        {
            long n = File.AllocatedBytes;
            return n < 0 ? null : n;
        }
    }

    /// <summary>Backing file name exactly as stored in the image; null when none.</summary>
    public string? BackingFilename { get; protected set; }

    /// <summary>Backing format as stored in the image; null when not recorded.</summary>
    public string? BackingFormat { get; protected set; }

    /// <summary>The backing name resolved against this image's directory (qemu's full-backing-filename).</summary>
    public string? FullBackingFilename { get; internal set; }

    /// <summary>The opened backing device, when the chain was opened.</summary>
    public BlockDevice? Backing { get; private set; }

    /// <summary>Whether the format can have a backing file at all (qemu's supports_backing).</summary>
    public virtual bool SupportsBacking => false;

    /// <summary>Whether a freshly created image of this format reads as zeros (bdrv_has_zero_init).</summary>
    public virtual bool HasZeroInit => true;

    /// <summary>
    /// True when writes to different ranges may run at the same time and in any order with the same result (a raw
    /// file: each write lands at its own offset). Formats that allocate as they write keep their writes in order.
    /// </summary>
    public virtual bool SupportsConcurrentWrites => false;

    /// <summary>
    /// The host file that holds guest byte N at file offset N with no other checks on writes (raw), so that data can
    /// be copied into it by the kernel (convert -C); null for every other format.
    /// </summary>
    public virtual HostFile? PassthroughFile => null;

    /// <summary>
    /// Whether the driver answers qemu's bdrv_get_info; without it (parallels, bochs, cloop, dmg) info shows neither a
    /// cluster size nor a dirty flag.
    /// </summary>
    public virtual bool HasDriverInfo => true;

    /// <summary>True when the image was not cleanly closed (qcow2 dirty bit).</summary>
    public virtual bool IsDirty => false;

    public virtual bool IsEncrypted => false;

    /// <summary>Format-specific information for info (null: none).</summary>
    public virtual FormatSpecificInfo? GetSpecificInfo() => null;

    /// <summary>Internal snapshots, in table order.</summary>
    public virtual IReadOnlyList<SnapshotInfo> Snapshots => [];

    /// <summary>Creates an internal snapshot of the current state (bdrv_snapshot_create); throws <see cref="SnapshotException"/>.</summary>
    public virtual void CreateSnapshot(NewSnapshot snapshot) =>
        throw new SnapshotException(SnapshotException.StrError(SnapshotException.ENOTSUP), SnapshotException.ENOTSUP);

    /// <summary>Reverts the image to a snapshot found by id, then by name (bdrv_snapshot_goto).</summary>
    public virtual void GotoSnapshot(string idOrName) =>
        throw new SnapshotException("Block driver does not support snapshots", SnapshotException.ENOTSUP);

    /// <summary>Deletes the snapshot matching both id and name (bdrv_snapshot_delete).</summary>
    public virtual void DeleteSnapshot(string id, string name) =>
        throw new SnapshotException($"Block format '{FormatName}' used by device '' does not support internal snapshot deletion", SnapshotException.ENOTSUP);

    /// <summary>
    /// Makes a read-only device show a snapshot's data instead of the current state (bdrv_snapshot_load_tmp):
    /// the snapshot matching the given id and/or name (a null one is not compared). The virtual size stays.
    /// </summary>
    public virtual void LoadSnapshotTemporarily(string? id, string? name) =>
        throw new SnapshotException($"Block format '{FormatName}' used by device '' does not support temporarily loading internal snapshots", SnapshotException.ENOTSUP);

    /// <summary>Whether this format implements check (qemu returns 63 otherwise).</summary>
    public virtual bool SupportsCheck => false;

    /// <summary>
    /// Checks (and with <paramref name="repair"/>, repairs) the image's metadata as qemu's bdrv_check does.
    /// Diagnostics go to <paramref name="log"/>. Only called when <see cref="SupportsCheck"/>.
    /// </summary>
    public virtual CheckResult Check(CheckRepair repair, ICheckLog log) =>
        throw new ImageException("This image format does not support checks");

    /// <summary>
    /// Changes the virtual size (qemu's bdrv_co_truncate with exact=true): grows with the given preallocation
    /// for the new area, or shrinks, discarding data past the new end. Drivers that cannot resize keep this default.
    /// </summary>
    public virtual void Resize(long newSize, Preallocation preallocation) =>
        throw new ImageException("Image format driver does not support resize");

    /// <summary>
    /// Rewrites the backing file name and format stored in the image (rebase, amend). Null removes the backing file.
    /// </summary>
    public virtual void ChangeBackingFile(string? backingFile, string? backingFormat) =>
        throw new ImageException("Operation not supported");

    /// <summary>
    /// qemu's bdrv_amend_options: changes the given format options (already checked against the format's amend
    /// table) of an image opened read-write. <paramref name="status"/> gets (work done, total work) as it goes.
    /// </summary>
    public virtual void Amend(OptionValues options, bool force, Action<long, long> status) =>
        throw new ImageException($"Format driver '{FormatName}' does not support option amendment");

    /// <summary>Empties the image after a commit (qemu's make_empty); formats without it keep their data.</summary>
    public virtual void MakeEmpty() { }

    /// <summary>
    /// The smallest unit the driver reads and writes (qemu's request_alignment), a power of two; the base class turns
    /// smaller or unaligned requests into read-modify-write of whole units. The last unit may end at VirtualSize.
    /// </summary>
    protected virtual int RequestAlignment => 1;

    /// <summary>Reads guest bytes [offset, offset+dest.Length), which must lie within VirtualSize.</summary>
    public void Read(long offset, Span<byte> dest)
    {
        CheckRange(offset, dest.Length);
        if (dest.IsEmpty) return;
        int align = RequestAlignment;
        if (IsAligned(offset, dest.Length, align))
        {
            ReadCore(offset, dest);
            return;
        }
        byte[] scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(align);
        try
        {
            foreach (var seg in Segments(offset, dest.Length, align))
            {
                var target = dest.Slice((int)(seg.Start - offset), seg.Length);
                if (seg.Whole)
                {
                    ReadCore(seg.Start, target);
                    continue;
                }
                var unit = scratch.AsSpan(0, seg.UnitLength);
                ReadCore(seg.UnitStart, unit);
                unit.Slice((int)(seg.Start - seg.UnitStart), seg.Length).CopyTo(target);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Writes guest bytes, which must lie within VirtualSize; refused when the device is read-only.</summary>
    public void Write(long offset, ReadOnlySpan<byte> src)
    {
        if (ReadOnly) throw NotWritable();
        CheckRange(offset, src.Length);
        if (src.IsEmpty) return;
        int align = RequestAlignment;
        if (IsAligned(offset, src.Length, align))
        {
            WriteCore(offset, src);
            return;
        }
        byte[] scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(align);
        try
        {
            foreach (var seg in Segments(offset, src.Length, align))
            {
                var part = src.Slice((int)(seg.Start - offset), seg.Length);
                if (seg.Whole)
                {
                    WriteCore(seg.Start, part);
                    continue;
                }
                var unit = scratch.AsSpan(0, seg.UnitLength);
                ReadCore(seg.UnitStart, unit);
                part.CopyTo(unit[(int)(seg.Start - seg.UnitStart)..]);
                WriteCore(seg.UnitStart, unit);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Makes a range read as zeros; with MayUnmap the driver may free storage. Refused when read-only.</summary>
    public void WriteZeroes(long offset, long length, WriteZeroesFlags flags)
    {
        if (ReadOnly) throw NotWritable();
        CheckRange(offset, length);
        if (length == 0) return;
        WriteZeroesCore(offset, length, flags);
    }

    /// <summary>
    /// Hints that a range is no longer needed; contents become unspecified (zeros or backing). Refused when
    /// read-only; a no-op for drivers that cannot discard.
    /// </summary>
    public void Discard(long offset, long length)
    {
        if (ReadOnly) throw NotWritable();
        CheckRange(offset, length);
        if (length == 0) return;
        DiscardCore(offset, length);
    }

    /// <summary>Reads an in-range request aligned to <see cref="RequestAlignment"/> (or ending at VirtualSize).</summary>
    protected abstract void ReadCore(long offset, Span<byte> dest);

    /// <summary>Writes an in-range aligned request on a writable device; formats that cannot write keep this.</summary>
    protected virtual void WriteCore(long offset, ReadOnlySpan<byte> src) => throw NotWritable();

    /// <summary>
    /// Zeroes an in-range request on a writable device. The fallback writes zeros through <see cref="Write"/> (qemu's
    /// bounce-buffer fallback when a driver has no pwrite_zeroes).
    /// </summary>
    protected virtual void WriteZeroesCore(long offset, long length, WriteZeroesFlags flags)
    {
        ReadOnlySpan<byte> zeros = ZeroBuffer.Get();
        while (length > 0)
        {
            int n = (int)Math.Min(length, zeros.Length);
            Write(offset, zeros[..n]);
            offset += n;
            length -= n;
        }
    }

    /// <summary>Discards an in-range request on a writable device; the default keeps the data (qemu: discard is a hint).</summary>
    protected virtual void DiscardCore(long offset, long length) { }

    private bool IsAligned(long offset, long length, int align) =>
        align <= 1 || (offset % align == 0 && (length % align == 0 || offset + length == VirtualSize));

    /// <summary>One piece of an unaligned request: a run of whole units, or part of one unit (read-modify-write).</summary>
    private readonly record struct Segment(long Start, int Length, bool Whole, long UnitStart, int UnitLength);

    /// <summary>Splits [offset, offset+length) into a partial head unit, whole units, and a partial tail unit.</summary>
    private IEnumerable<Segment> Segments(long offset, int length, int align)
    {
        long end = offset + length;
        long pos = offset;
        while (pos < end)
        {
            long unitStart = pos - pos % align;
            long unitEnd = Math.Min(unitStart + align, VirtualSize);
            if (pos == unitStart && end >= unitEnd)
            {
                long wholeEnd = end == VirtualSize ? end : end - end % align;
                yield return new Segment(pos, (int)(wholeEnd - pos), true, pos, (int)(wholeEnd - pos));
                pos = wholeEnd;
                continue;
            }
            int part = (int)(Math.Min(end, unitEnd) - pos);
            yield return new Segment(pos, part, false, unitStart, (int)(unitEnd - unitStart));
            pos += part;
        }
    }

    /// <summary>
    /// Whether data must be written compressed (qemu's BlockDriverInfo.needs_compressed_writes, a VMDK
    /// streamOptimized image): convert then compresses without -c.
    /// </summary>
    public virtual bool NeedsCompressedWrites => false;

    /// <summary>
    /// The codec for compressed cluster writes (convert -c), or null when the format cannot store them.
    /// <paramref name="deflate"/> picks the deflate of formats that deflate (zstd and other codecs ignore it).
    /// </summary>
    public virtual ClusterCompressor? CreateCompressor(DeflateLibrary deflate) => null;

    /// <summary>
    /// Stores one cluster already compressed with <see cref="CreateCompressor"/> at a cluster-aligned guest offset
    /// that is not allocated yet.
    /// </summary>
    public virtual void WriteCompressedCluster(long offset, ReadOnlySpan<byte> compressed) =>
        throw new ImageException("Compression not supported for this file format");

    /// <summary>Ends a run of compressed writes (qemu pads the file to a whole sector).</summary>
    public virtual void FinishCompressedWrites() { }

    public virtual void Flush() => File.Flush();

    /// <summary>
    /// This layer's status for the start of [offset, offset+length): offset &lt; VirtualSize and
    /// offset+length &lt;= VirtualSize are guaranteed by the caller. Do not set Allocated; the block
    /// layer derives it from Data/Zero as qemu does.
    /// </summary>
    public abstract DriverStatus GetDriverStatus(long offset, long length);

    /// <summary>Attaches the opened backing chain (done by <see cref="ImageOpener"/>).</summary>
    internal void AttachBacking(BlockDevice backing)
    {
        CheckBackingIdentity(backing);
        Backing = backing;
    }

    /// <summary>
    /// Called with the opened backing file before it is attached. A format whose overlay records its parent's
    /// identity (a differencing VHD's parent UUID, a differencing VHDX's parent data-write GUID) checks it here and
    /// throws <see cref="ImageException"/> when the file found is not the parent; formats that record no identity
    /// (qcow2, QED) accept any backing file, as qemu does.
    /// </summary>
    protected internal virtual void CheckBackingIdentity(BlockDevice backing) { }

    /// <summary>Reads from the backing chain, or zeros where there is none or past its end.</summary>
    protected void ReadBacking(long offset, Span<byte> dest)
    {
        BlockDevice? b = Backing;
        if (b is null)
        {
            dest.Clear();
            return;
        }
        long avail = Math.Max(0, b.VirtualSize - offset);
        int n = (int)Math.Min(avail, dest.Length);
        if (n > 0)
            b.Read(offset, dest[..n]);
        dest[n..].Clear();
    }

    protected ImageException NotWritable() => new($"Could not write to '{Filename}': image is opened read-only");

    /// <summary>Checks that a guest range lies inside the device.</summary>
    protected void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > VirtualSize - length)
            throw new ImageException($"'{Filename}': request at offset {offset} length {length} is outside the image ({VirtualSize} bytes)");
    }

    protected virtual void Dispose(bool disposing) { }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            Dispose(true);
        }
        finally
        {
            // a close that fails (e.g. its last metadata write) must still close the backing chain and its locks
            Backing?.Dispose();
        }
        GC.SuppressFinalize(this);
    }
}
