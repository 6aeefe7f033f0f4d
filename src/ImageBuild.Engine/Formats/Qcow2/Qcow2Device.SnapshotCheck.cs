using System.Buffers.Binary;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>The snapshot table pointer's validation and check's own read of the table (qcow2-snapshot.c).</summary>
public sealed partial class Qcow2Device
{
    /// <summary>
    /// qcow2_validate_table for the snapshot table pointer: "{name} too large" (EFBIG) or "{name} offset invalid"
    /// (EINVAL); null when valid. Check names it in lower case.
    /// </summary>
    private (string Message, int Errno)? SnapshotTablePointerError(string name)
    {
        const long entry = SnapshotTableEntry.FixedSize;
        if (Header.NbSnapshots > MaxSnapshots)
            return ($"{name} too large", SnapshotException.EFBIG);
        ulong size = (ulong)(Header.NbSnapshots * entry);
        if (Header.SnapshotsOffset > (ulong)long.MaxValue - size || (Header.SnapshotsOffset & (ulong)(ClusterSizeInt - 1)) != 0)
            return ($"{name} offset invalid", SnapshotException.EINVAL);
        return null;
    }

    /// <summary>
    /// qcow2_check_read_snapshot_table: check reads the snapshot table itself, so that a broken one is reported
    /// (and with -r all, over-long extra data and overhanging entries dropped) instead of refusing the open. Returns
    /// the snapshot corruptions found; failures stop the check as in qemu ("Check failed: reason").
    /// </summary>
    internal int ReadSnapshotTableForCheck(CheckRepair repair, ICheckLog log, ref long checkErrors)
    {
        SnapshotTable.Clear();
        _snapshotTableBytes = -1;
        bool fixErrors = (repair & CheckRepair.Errors) != 0;
        var fix = fixErrors ? new SnapshotTableRepair(log.Message) : null;
        if (fix is not null && Header.NbSnapshots > MaxSnapshots)
        {
            log.Message($"Discarding {Header.NbSnapshots - MaxSnapshots} overhanging snapshots");
            fix.Reduced += (int)(Header.NbSnapshots - MaxSnapshots);
            Header.NbSnapshots = MaxSnapshots;
        }
        if (SnapshotTablePointerError("snapshot table") is { } bad)
        {
            checkErrors++;
            string report = "ERROR " + bad.Message;
            if (Header.NbSnapshots > MaxSnapshots)
                report += $"\nYou can force-remove all {Header.NbSnapshots - MaxSnapshots} overhanging snapshots with imagebuild check -r all";
            throw new CheckAbortedException(report, SnapshotException.StrError(bad.Errno));
        }
        try
        {
            if (Header.NbSnapshots > 0)
            {
                SnapshotTable.AddRange(SnapshotTableEntry.ReadAll(_file, (long)Header.SnapshotsOffset, Header.NbSnapshots, Filename, out long bytes, fix, pastEndAsZeros: true));
                _snapshotTableBytes = bytes;
            }
        }
        catch (SnapshotTableException e)
        {
            checkErrors++;
            throw new CheckAbortedException($"ERROR failed to read the snapshot table: {e.Error}\n{e.Hint}", SnapshotException.StrError(e.ErrorNumber));
        }
        int corruptions = fix is null ? 0 : fix.ExtraDataDropped + fix.Reduced;
        if (fix is { Reduced: > 0 })
        {
            // The header names only the entries kept; the rest of the old table and what they reach leak, which the
            // refcount check then repairs.
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(n, (uint)SnapshotTable.Count);
            _file.Write(60, n);
            _file.Flush();
            Header.NbSnapshots = (uint)SnapshotTable.Count;
            corruptions -= fix.Reduced;
            _snapshotRepairsFixed = fix.Reduced;
        }
        if (Header.Version >= 3)
        {
            for (int i = 0; i < SnapshotTable.Count; i++)
            {
                if (SnapshotTable[i].ExtraDataSize >= 16) continue;
                corruptions++;
                log.Message($"{(fixErrors ? "Repairing" : "ERROR")} snapshot table entry {i} is incomplete");
            }
        }
        return corruptions;
    }

    /// <summary>Overhanging snapshots check -r all dropped from the header (counted as fixed corruptions).</summary>
    private int _snapshotRepairsFixed;
}
