using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>qcow2_co_check and what check's repairs need from the device: metadata writes guarded by qemu's overlap check.</summary>
public sealed partial class Qcow2Device
{
    // qemu's QCow2MetadataOverlap bits (the default "cached" checks: everything but inactive L2 tables).
    internal const int OverlapMainHeader = 1, OverlapActiveL1 = 2, OverlapActiveL2 = 4, OverlapRefcountTable = 8,
        OverlapRefcountBlock = 16, OverlapSnapshotTable = 32, OverlapInactiveL1 = 64, OverlapInactiveL2 = 128,
        OverlapBitmapDirectory = 256;

    private bool _signaledCorruption;
    /// <summary>A fatal corruption event happened on the writable image: like qemu's bs->drv = NULL, nothing more is written.</summary>
    private bool _halted;
    /// <summary>Bytes of the snapshot table (entries vary in length), read once for the overlap checks; -1 until then.</summary>
    private long _snapshotTableBytes = -1;
    private ICheckLog? _checkLog;

    public override bool SupportsCheck => true;

    /// <summary>qcow2_co_check: the refcount check (with repairs when asked); a repair that leaves no errors marks the image clean and consistent.</summary>
    public override CheckResult Check(CheckRepair repair, ICheckLog log)
    {
        if (repair != CheckRepair.None && ReadOnly)
            throw NotWritable();
        if (!ReadOnly)
            FlushMetadata(markClean: false);
        _checkLog = log;
        try
        {
            long snapshotErrors = 0;
            _snapshotRepairsFixed = 0;
            int snapshotCorruptions = ReadSnapshotTableForCheck(repair, log, ref snapshotErrors);
            var r = Qcow2Checker.Run(this, repair, log);
            long snapshotFixed = _snapshotRepairsFixed;
            // qcow2_check_fix_snapshot_table: what the snapshot table read found is fixed by rewriting the table.
            if (snapshotCorruptions > 0 && (repair & CheckRepair.Errors) != 0)
            {
                try
                {
                    RunWithSnapshotDiscards(() => WriteSnapshotTable([.. SnapshotTable]));
                }
                catch (ImageException e)
                {
                    string reason = e.Errno != 0 ? SnapshotException.StrError(e.Errno) : e.Message;
                    log.Message($"ERROR failed to update snapshot table: {reason}");
                    throw new CheckAbortedException(null, reason);
                }
                snapshotFixed += snapshotCorruptions;
                snapshotCorruptions = 0;
            }
            r = r with
            {
                CheckErrors = r.CheckErrors + snapshotErrors,
                Corruptions = r.Corruptions + snapshotCorruptions,
                CorruptionsFixed = r.CorruptionsFixed + snapshotFixed,
            };
            if (repair != CheckRepair.None && r.CheckErrors == 0 && r.Corruptions == 0)
                MarkCleanAndConsistent();
            return r;
        }
        finally
        {
            _checkLog = null;
        }
    }

    /// <summary>
    /// qcow2_do_open's "Repair image if dirty": an image left dirty (lazy refcounts) is checked and repaired when it
    /// is opened read-write, printing check's lines; failing that, the open fails.
    /// </summary>
    private void RepairDirtyImage(ImageContext context)
    {
        var log = new ContextLog(context);
        CheckResult r;
        try
        {
            r = Check(CheckRepair.All, log);
        }
        catch (ImageException e)
        {
            throw new ImageException($"Could not repair dirty image: {e.Message}", e);
        }
        if (r.CheckErrors != 0)
            throw new ImageException("Could not repair dirty image: Input/output error");
    }

    private sealed class ContextLog(ImageContext context) : ICheckLog
    {
        public void Message(string line) => context.Log(line);
    }

    /// <summary>qcow2_mark_clean then qcow2_mark_consistent: the caches are written first, then the header.</summary>
    private void MarkCleanAndConsistent()
    {
        const ulong bits = Qcow2Header.IncompatDirty | Qcow2Header.IncompatCorrupt;
        if ((Header.IncompatibleFeatures & bits) == 0) return;
        FlushMetadata(markClean: false);
        Header.IncompatibleFeatures &= ~bits;
        _dirtySetByUs = false;
        UpdateHeader();
        _file.Flush();
    }

    /// <summary>
    /// qcow2_pre_write_overlap_check: false (after marking the image corrupt, as qemu does) when writing
    /// [offset, offset+size) would overwrite metadata other than the kinds in <paramref name="ignore"/>.
    /// </summary>
    internal bool PreWriteOverlapCheck(int ignore, long offset, long size)
    {
        string? what = OverlappingMetadata(ignore, offset, size);
        if (what is null) return true;
        SignalCorruption($"Preventing invalid write on metadata (overlaps with {what})");
        return false;
    }

    /// <summary>
    /// The overlap check before a write qemu guards (data, L1/L2 tables, refcount blocks, snapshot L1 copies and
    /// table): when it would overwrite other metadata the image is marked corrupt and the write fails with EIO.
    /// </summary>
    internal void EnsureNoOverlap(int ignore, long offset, long size)
    {
        if (_halted || !PreWriteOverlapCheck(ignore, offset, size))
            throw new ImageException("Input/output error") { Errno = 5 };
    }

    /// <summary>qemu's snapshots_size: as read at open (or by check), recomputed from the file after the table moved.</summary>
    internal long SnapshotTableBytes()
    {
        if (_snapshotTableBytes < 0)
            _snapshotTableBytes = Header.NbSnapshots == 0 ? 0 : SnapshotTableEntry.TableSize(_file, (long)Header.SnapshotsOffset, Header.NbSnapshots);
        return _snapshotTableBytes;
    }

    private string? OverlappingMetadata(int ignore, long offset, long size)
    {
        int chk = ~ignore & ~OverlapInactiveL2;
        if (size == 0) return null;
        int cs = ClusterSizeInt;
        if ((chk & OverlapMainHeader) != 0 && offset < cs) return "qcow2_header";
        size = ((offset & (cs - 1)) + size + cs - 1) & ~(long)(cs - 1);
        offset &= ~(long)(cs - 1);
        bool Overlaps(long start, long length) => length > 0 && start < offset + size && offset < start + length;
        if ((chk & OverlapActiveL1) != 0 && Overlaps((long)Header.L1TableOffset, (long)L1.Length * 8)) return "active L1 table";
        if ((chk & OverlapRefcountTable) != 0 && Overlaps(Refcounts.TableOffset, (long)Refcounts.TableEntries * 8)) return "refcount table";
        if ((chk & OverlapSnapshotTable) != 0 && Header.NbSnapshots > 0 &&
            Overlaps((long)Header.SnapshotsOffset, SnapshotTableBytes()))
            return "snapshot table";
        if ((chk & OverlapInactiveL1) != 0)
            foreach (var sn in SnapshotTable)
                if (sn.L1Size > 0 && Overlaps((long)sn.L1TableOffset, (long)sn.L1Size * 8)) return "inactive L1 table";
        if ((chk & OverlapActiveL2) != 0)
            foreach (ulong e in L1)
                if ((e & L2Entry.L1OffsetMask) != 0 && Overlaps((long)(e & L2Entry.L1OffsetMask), cs)) return "active L2 table";
        if ((chk & OverlapRefcountBlock) != 0)
            foreach (ulong e in Refcounts.Table)
                if (ReftableEntry.BlockOffset(e) != 0 && Overlaps(ReftableEntry.BlockOffset(e), cs)) return "refcount block";
        if ((chk & OverlapBitmapDirectory) != 0 && BitmapExtension is { } b && (Header.AutoclearFeatures & Qcow2Header.AutoclearBitmaps) != 0 &&
            Overlaps((long)b.Offset, (long)b.Size))
            return "bitmap directory";
        return null;
    }

    /// <summary>
    /// qcow2_signal_corruption during check: reported once; a fatal event on a writable image marks it corrupt
    /// (later events are then suppressed too).
    /// </summary>
    internal void SignalCorruption(string message, bool fatal = true)
    {
        fatal = fatal && !ReadOnly;
        if (_signaledCorruption && (!fatal || (Header.IncompatibleFeatures & Qcow2Header.IncompatCorrupt) != 0)) return;
        string line = fatal
            ? $"qcow2: Marking image as corrupt: {message}; further corruption events will be suppressed"
            : $"qcow2: Image is corrupt: {message}; further non-fatal corruption events will be suppressed";
        if (_checkLog is not null) _checkLog.Message(line);
        else _context.Log(line);
        _signaledCorruption = true;
        if (!fatal) return;
        _halted = true;
        Header.IncompatibleFeatures |= Qcow2Header.IncompatCorrupt;
        WriteIncompatibleFeatures();
        _file.Flush();
    }

    /// <summary>A metadata write that is durable before anything after it (bdrv_pwrite_sync).</summary>
    internal void WriteMetadataSync(long offset, ReadOnlySpan<byte> data)
    {
        _file.Write(offset, data);
        _file.Flush();
        L2Cache.Discard(offset & ~(long)(ClusterSizeInt - 1));
    }

    /// <summary>A whole metadata cluster written directly, bypassing (and invalidating) the L2 cache.</summary>
    internal void WriteMetadata(long offset, ReadOnlySpan<byte> data)
    {
        _file.Write(offset, data);
        L2Cache.Discard(offset & ~(long)(ClusterSizeInt - 1));
    }

    /// <summary>qcow2_write_l1_entry with its overlap check, for check's COPIED repair.</summary>
    internal bool TryWriteL1EntryForCheck(long l1Index)
    {
        long start = l1Index & ~63L;
        int count = (int)Math.Min(64, L1.Length - start);
        if (!PreWriteOverlapCheck(OverlapActiveL1, (long)Header.L1TableOffset + start * 8, count * 8))
            return false;
        WriteL1Entry(l1Index);
        _file.Flush();
        return true;
    }
}
