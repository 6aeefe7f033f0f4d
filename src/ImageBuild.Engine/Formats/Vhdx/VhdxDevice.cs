using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.Vhdx.Log;
using ImageBuild.Engine.Formats.Vhdx.Parent;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// An opened VHDX image (qemu's block/vhdx.c). Opening follows vhdx_open: the file identifier, the current header,
/// the log (replayed into the file on a writable open, as qemu; replayed in memory on a read-only open, where qemu
/// fails "log needs replay"), the first region table, the metadata, then the BAT checked against the file length and
/// the regions. Guest block i is BAT entry i + ⌊i / chunk_ratio⌋. Differencing images (qemu: "Operation not
/// supported") are read here: their parent is found through the parent locator, checked by its data write GUID, and
/// read where the BAT or the sector bitmap says so; they cannot be written.
/// </summary>
public sealed partial class VhdxDevice : BlockDevice
{
    private readonly HostFile _file;
    private readonly VhdxFileView _view;
    private readonly VhdxHeaders _headers;
    private readonly VhdxMetadata _metadata;
    private readonly VhdxBat _bat;
    private readonly VhdxRegions _regions;
    private readonly long _virtualSize;
    private readonly int _blockSize;
    private readonly VhdxParentLocator? _parent;
    private readonly ImageIdentity _identity;
    private readonly ImageContext _context;

    internal VhdxDevice(OpenRequest request) : base(request.Filename, !request.Writable)
    {
        _file = request.File;
        _context = request.Context;
        _identity = request.Context.Identity.ForImage(request.Filename);
        var view = new VhdxFileView(_file, null);
        Span<byte> signature = stackalloc byte[8];
        view.Read(0, signature);
        if (!VhdxFileIdentifier.HasSignature(signature))
            throw VhdxErrors.Invalid(Filename);

        _headers = VhdxHeaders.Read(view);
        _regions = new VhdxRegions();
        var current = _headers.Current;
        _regions.Register(current.LogOffset, current.LogLength);
        _view = OpenLog(request, view);

        var (batRegion, metadataRegion) = ReadRegionTable();
        _metadata = VhdxMetadata.Read(_view, Filename, metadataRegion.FileOffset, metadataRegion.Length);
        if (_metadata.VirtualDiskSize > VhdxLayout.MaxVirtualSize)
            throw new ImageCorruptException(
                $"'{Filename}': virtual disk size {_metadata.VirtualDiskSize} is larger than the 64 TiB VHDX allows");
        _blockSize = (int)_metadata.BlockSize;
        _virtualSize = (long)_metadata.VirtualDiskSize / Sectors.Size * Sectors.Size;
        long chunkRatio = VhdxLayout.ChunkRatio(_metadata.LogicalSectorSize, _metadata.BlockSize);
        long entries = VhdxLayout.BatEntries((long)_metadata.VirtualDiskSize, _metadata.BlockSize, chunkRatio, _metadata.HasParent);
        if (entries > batRegion.Length / 8)
            throw VhdxErrors.Invalid(Filename);
        _bat = new VhdxBat(_view, (long)batRegion.FileOffset, entries, chunkRatio);
        if (!request.ForCheck)
        {
            var errors = new List<string>();
            CheckBatEntries(errors, stopAtFirst: true);
            if (errors.Count > 0)
            {
                _context.Warn(errors[0]);
                throw VhdxErrors.Invalid(Filename);
            }
        }

        if (_metadata.HasParent)
        {
            _parent = VhdxParentLocator.Parse(_metadata.ParentLocator!, Filename);
            BackingFormat = "vhdx";
            BackingFilename = ParentPath.Choose(Filename, [_parent.RelativePath, _parent.VolumePath, _parent.AbsoluteWin32Path])
                ?? throw new ImageException($"'{Filename}': the parent locator names no parent file this host can open");
        }
    }

    public override string FormatName => "vhdx";

    public override long VirtualSize => _virtualSize;

    /// <summary>qemu's vhdx_get_info: the block size.</summary>
    public override int ClusterSize => _blockSize;

    public override HostFile File => _file;

    public override bool SupportsBacking => _metadata.HasParent;

    /// <summary>Whether a writable open replayed a pending log (check then counts one corruption fixed, as qemu).</summary>
    internal bool LogReplayedOnOpen { get; private set; }

    /// <summary>Whether a read-only open reads through a log replayed in memory.</summary>
    internal bool LogReplayedInMemory => _view.Replayed;

    /// <summary>
    /// qemu's vhdx_parse_log: the log offset must be a nonzero 1 MiB multiple and the log version 0; an empty log
    /// GUID or length means no log; otherwise the length must be a 1 MiB multiple and the active sequence is replayed.
    /// </summary>
    private VhdxFileView OpenLog(OpenRequest request, VhdxFileView view)
    {
        var h = _headers.Current;
        if (h.LogOffset < VhdxLayout.MiB || h.LogOffset % VhdxLayout.MiB != 0 || h.LogVersion != 0)
            throw VhdxErrors.Invalid(Filename);
        if (h.LogGuid == Guid.Empty || h.LogLength == 0)
            return view;
        if (h.LogLength % VhdxLayout.MiB != 0)
            throw VhdxErrors.Invalid(Filename);
        var region = new VhdxLogRegion((long)h.LogOffset, h.LogLength);
        var replay = VhdxLogReader.Read(_file, Filename, region, h.LogGuid);
        if (!replay.NeedsReplay)
            return view;
        if (!request.Writable)
        {
            if (replay.FlushedFileOffset > _file.Length)
                throw VhdxErrors.Invalid(Filename);
            return new VhdxFileView(_file, new VhdxLogOverlay(replay));
        }
        // vhdx_log_flush: a file shorter than the log's FlushedFileOffset was truncated after the log was written
        if (replay.FlushedFileOffset > _file.Length)
            throw VhdxErrors.Invalid(Filename);
        // vhdx_log_flush: a replay may change what the guest sees, so it is a first guest-visible write (new data
        // write GUID in both headers) before anything is replayed
        _headers.UpdateBoth(_file, SessionGuid, () => _identity.NewUuid("data_write_guid"), null);
        _visibleWriteDone = true;
        VhdxLogApplier.Apply(_file, replay);
        _nextLogSequence = replay.SequenceNumber + 1;
        // vhdx_log_reset: the log is empty now; both headers say so
        _headers.UpdateBoth(_file, SessionGuid, null, Guid.Empty);
        LogReplayedOnOpen = true;
        return view;
    }

    /// <summary>qemu's vhdx_open_region_tables on the first table, each entry checked against the regions before it.</summary>
    private (VhdxRegionTableEntry Bat, VhdxRegionTableEntry Metadata) ReadRegionTable()
    {
        var raw = new byte[VhdxRegionTable.Size];
        _view.Read(VhdxRegionTable.Table1Offset, raw);
        var table = VhdxRegionTable.Parse(raw, Filename);
        VhdxRegionTableEntry? bat = null, metadata = null;
        long fileLength = _view.Length;
        foreach (var e in table.Entries)
        {
            if (_regions.Overlap(e.FileOffset, e.Length) is { } overlap)
            {
                _context.Warn(overlap);
                throw VhdxErrors.Invalid(Filename);
            }
            _regions.Register(e.FileOffset, e.Length);
            if (e.Guid == VhdxRegionTable.BatGuid)
            {
                if (bat is not null) throw VhdxErrors.Invalid(Filename);
                bat = e;
            }
            else if (e.Guid == VhdxRegionTable.MetadataGuid)
            {
                if (metadata is not null) throw VhdxErrors.Invalid(Filename);
                metadata = e;
            }
            else if (e.Required)
            {
                throw VhdxErrors.NotSupported(Filename);
            }
        }
        if (bat is not { } b || metadata is not { } m)
            throw VhdxErrors.Invalid(Filename);
        // beyond qemu (which reads zeros there): the two regions it reads must lie inside the file
        foreach (var (r, name) in new[] { (b, "BAT"), (m, "metadata") })
            if (r.FileOffset > (ulong)fileLength || r.FileOffset + r.Length > (ulong)fileLength)
                throw new ImageCorruptException(
                    $"'{Filename}': {name} region at offset {r.FileOffset} ({r.Length} bytes) lies past the end of the file ({fileLength} bytes)");
        return (b, m);
    }

    /// <summary>
    /// qemu's vhdx_check_bat_entries: every fully present entry must lie inside the file (the last block may be
    /// partial) and, for payload entries, outside the log and the regions. Findings go to <paramref name="errors"/>.
    /// </summary>
    private void CheckBatEntries(List<string> errors, bool stopAtFirst)
    {
        long fileLength = _view.Length;
        long payblocks = _bat.ChunkRatio;
        long blockSize = _blockSize;
        bool stop = false;
        _bat.Scan((i, entry) =>
        {
            if (stop || VhdxBatEntry.State(entry) != VhdxBatEntry.FullyPresent)
                return;
            ulong offset = (ulong)VhdxBatEntry.Offset(entry);
            // qemu allows a partial last block, computed in unsigned 64 bits from the BAT index (sector bitmap entries
            // included), so an index past the end gives a whole block
            ulong remaining = unchecked((ulong)_virtualSize - (ulong)i * (ulong)blockSize);
            uint blockLength = (uint)Math.Min((ulong)blockSize, remaining);
            if (offset > (ulong)(long.MaxValue - blockSize))
                errors.Add($"VHDX BAT entry {i} offset overflow.");
            if (offset >= (ulong)fileLength)
                errors.Add($"VHDX BAT entry {i} start offset {offset} points after end of file ({fileLength}). Image has probably been truncated.");
            else if (offset + blockLength > (ulong)fileLength)
                errors.Add($"VHDX BAT entry {i} end offset {offset + blockLength - 1} points after end of file ({fileLength}). Image has probably been truncated.");
            if (payblocks-- != 0)
            {
                if (_regions.Overlap(offset, (ulong)blockSize) is { } overlap)
                    errors.Add(overlap);
            }
            else
            {
                payblocks = _bat.ChunkRatio;
            }
            if (stopAtFirst && errors.Count > 0)
                stop = true;
        });
    }

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        while (!dest.IsEmpty)
        {
            long block = offset / _blockSize;
            int inBlock = (int)(offset % _blockSize);
            int n = (int)Math.Min(dest.Length, _blockSize - inBlock);
            ulong entry = _bat[_bat.PayloadIndex(block)];
            switch (VhdxBatEntry.State(entry))
            {
                case VhdxBatEntry.NotPresent when _metadata.HasParent:
                    ReadBacking(offset, dest[..n]);
                    break;
                case VhdxBatEntry.NotPresent:
                case VhdxBatEntry.Undefined:
                case VhdxBatEntry.Zero:
                case VhdxBatEntry.Unmapped:
                case VhdxBatEntry.UnmappedV095:
                    dest[..n].Clear();
                    break;
                case VhdxBatEntry.FullyPresent:
                    long fileOffset = VhdxBatEntry.Offset(entry);
                    // blocks stored one after the other are read in one request
                    for (long next = block + 1; n < dest.Length; next++)
                    {
                        ulong e = _bat[_bat.PayloadIndex(next)];
                        if (VhdxBatEntry.State(e) != VhdxBatEntry.FullyPresent || VhdxBatEntry.Offset(e) != fileOffset + (next - block) * _blockSize)
                            break;
                        n += Math.Min(dest.Length - n, _blockSize);
                    }
                    _view.Read(fileOffset + inBlock, dest[..n]);
                    break;
                case VhdxBatEntry.PartiallyPresent when _metadata.HasParent:
                    ReadPartial(block, inBlock, dest[..n]);
                    break;
                default:
                    throw new ImageException("Input/output error") { Errno = 5 };
            }
            dest = dest[n..];
            offset += n;
        }
    }

    /// <summary>
    /// A partially present block of a differencing image (VHDX 1.0 §2.5.1.2, §3.2): the chunk's sector bitmap block has
    /// one bit per logical sector, least significant bit first; a set bit means the sector is in this file's block.
    /// </summary>
    private void ReadPartial(long block, int inBlock, Span<byte> dest)
    {
        ulong payload = _bat[_bat.PayloadIndex(block)];
        ulong bitmapEntry = _bat[_bat.BitmapIndex(block)];
        if (VhdxBatEntry.State(bitmapEntry) != VhdxBatEntry.FullyPresent)
            throw new ImageCorruptException(
                $"'{Filename}': block {block} is partially present but its sector bitmap entry (BAT index {_bat.BitmapIndex(block)}) is not present");
        int sectorSize = (int)_metadata.LogicalSectorSize;
        long sectorsPerBlock = _blockSize / sectorSize;
        long firstSectorInChunk = (block % _bat.ChunkRatio) * sectorsPerBlock;
        long blockStart = block * _blockSize;
        int done = 0;
        Span<byte> bits = stackalloc byte[1];
        while (done < dest.Length)
        {
            int pos = inBlock + done;
            long sector = firstSectorInChunk + pos / sectorSize;
            bool present = BitOf(bitmapEntry, sector, bits);
            int run = Math.Min(sectorSize - pos % sectorSize, dest.Length - done);
            while (done + run < dest.Length)
            {
                long nextSector = firstSectorInChunk + (inBlock + done + run) / sectorSize;
                if (BitOf(bitmapEntry, nextSector, bits) != present) break;
                run += Math.Min(sectorSize, dest.Length - done - run);
            }
            var part = dest.Slice(done, run);
            if (present)
                _view.Read(VhdxBatEntry.Offset(payload) + pos, part);
            else
                ReadBacking(blockStart + pos, part);
            done += run;
        }
    }

    private bool BitOf(ulong bitmapEntry, long sectorInChunk, Span<byte> one)
    {
        _view.Read(VhdxBatEntry.Offset(bitmapEntry) + sectorInChunk / 8, one);
        return (one[0] >> (int)(sectorInChunk % 8) & 1) != 0;
    }

    /// <summary>
    /// qemu's vhdx driver has no block status: everything is data. A differencing image reports its blocks that are
    /// not present as unallocated, so that the parent is consulted.
    /// </summary>
    public override DriverStatus GetDriverStatus(long offset, long length)
    {
        if (!_metadata.HasParent)
            return new DriverStatus(length, BlockStatusFlags.Data);
        long block = offset / _blockSize;
        long n = Math.Min(length, _blockSize - offset % _blockSize);
        int state = VhdxBatEntry.State(_bat[_bat.PayloadIndex(block)]);
        return state switch
        {
            VhdxBatEntry.NotPresent or VhdxBatEntry.PartiallyPresent => new DriverStatus(n, state == VhdxBatEntry.PartiallyPresent ? BlockStatusFlags.Data : 0),
            VhdxBatEntry.FullyPresent => new DriverStatus(n, BlockStatusFlags.Data),
            _ => new DriverStatus(n, BlockStatusFlags.Zero),
        };
    }

    /// <summary>A differencing image's parent must be the file it was made from: its data write GUID is the parent_linkage (or parent_linkage2).</summary>
    protected internal override void CheckBackingIdentity(BlockDevice backing)
    {
        if (_parent is null)
            return;
        if (backing is not VhdxDevice parent)
            throw new ImageException($"'{Filename}': parent '{backing.Filename}' is not a VHDX image");
        Guid actual = parent._headers.Current.DataWriteGuid;
        if (actual != _parent.ParentLinkage && actual != _parent.ParentLinkage2)
            throw new ImageException(
                $"'{Filename}': parent '{backing.Filename}' has data write GUID {actual:B}, not the parent_linkage {_parent.ParentLinkage:B} this image records");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
    }
}
