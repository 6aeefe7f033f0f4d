using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>One internal snapshot table entry (QCowSnapshotHeader + extra data + id + name, padded to 8).</summary>
internal sealed record SnapshotTableEntry(
    ulong L1TableOffset, uint L1Size, string Id, string Name, uint DateSec, uint DateNsec, ulong VmClockNsec,
    ulong VmStateSize, ulong? DiskSize, long Icount)
{
    internal const int FixedSize = 40;

    /// <summary>The extra data qemu knows (vm_state_size_large, disk_size, icount): what it writes for every entry.</summary>
    internal const int KnownExtraSize = 24;

    /// <summary>Extra data past the 24 known bytes, kept as it is when the table is rewritten.</summary>
    public byte[] UnknownExtraData { get; init; } = [];

    /// <summary>extra_data_size as read (at most 1024); a v3 entry needs 16 (check: "entry N is incomplete").</summary>
    public uint ExtraDataSize { get; init; } = KnownExtraSize;

    /// <summary>qemu's QCOW_MAX_SNAPSHOT_EXTRA_DATA.</summary>
    internal const int MaxExtraData = 1024;

    /// <summary>
    /// Reads the snapshot table (qcow2_do_read_snapshots); every entry must lie inside the file. Without
    /// <paramref name="repair"/>, too much extra data or a table too big fail with qemu's messages (and hints); with it
    /// (check -r all), the extra data is cut to 1024 bytes and overhanging entries are dropped, reported as qemu does.
    /// <paramref name="tableBytes"/> is qemu's snapshots_size: from the table's start to the end of the last entry kept.
    /// </summary>
    public static List<SnapshotTableEntry> ReadAll(Host.HostFile file, long offset, uint count, string filename, out long tableBytes,
        SnapshotTableRepair? repair = null, bool pastEndAsZeros = false)
    {
        // check (like qemu's read in check mode) and check -r all read past the end of the file as zeros, so that
        // such a table is reported or dropped; every other open refuses it (README, deliberate differences).
        pastEndAsZeros |= repair is not null;
        var list = new List<SnapshotTableEntry>();
        long end = offset;
        long start = offset, fileLength = file.Length, tableLength = 0;
        Span<byte> fixedPart = stackalloc byte[FixedSize];
        for (int i = 0; i < count; i++)
        {
            tableLength = (tableLength + 7) & ~7L;
            if (offset + FixedSize > fileLength && !pastEndAsZeros)
                throw new ImageCorruptException($"'{filename}': snapshot table entry {i} at offset {offset} lies past the end of the file");
            file.Read(offset, fixedPart);
            ulong l1Offset = BinaryPrimitives.ReadUInt64BigEndian(fixedPart);
            uint l1Size = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[8..]);
            int idLen = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[12..]);
            int nameLen = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..]);
            uint dateSec = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[16..]);
            uint dateNsec = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[20..]);
            ulong vmClock = BinaryPrimitives.ReadUInt64BigEndian(fixedPart[24..]);
            ulong vmState = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[32..]);
            uint storedExtra = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[36..]);
            uint extraSize = storedExtra;
            if (extraSize > MaxExtraData)
            {
                if (repair is null)
                    throw new SnapshotTableException($"Too much extra metadata in snapshot table entry {i}",
                        "You can force-remove this extra metadata with imagebuild check -r all", EFBIG);
                repair.Log($"Discarding too much extra metadata in snapshot table entry {i} ({extraSize} > {MaxExtraData})");
                repair.ExtraDataDropped++;
                extraSize = MaxExtraData;
            }
            long onDisk = FixedSize + (long)storedExtra + idLen + nameLen;
            if (offset + onDisk > fileLength && !pastEndAsZeros)
                throw new ImageCorruptException($"'{filename}': snapshot table entry {i} at offset {offset} lies past the end of the file");
            var extra = new byte[extraSize];
            file.Read(offset + FixedSize, extra);
            var names = new byte[idLen + nameLen];
            file.Read(offset + FixedSize + storedExtra, names);
            ulong? diskSize = null;
            long icount = -1;
            if (extraSize >= 8) vmState = BinaryPrimitives.ReadUInt64BigEndian(extra);
            if (extraSize >= 16) diskSize = BinaryPrimitives.ReadUInt64BigEndian(extra.AsSpan(8));
            if (extraSize >= 24) icount = BinaryPrimitives.ReadInt64BigEndian(extra.AsSpan(16));
            string id = CString(names.AsSpan(0, idLen));
            string name = CString(names.AsSpan(idLen, nameLen));
            byte[] unknownExtra = extraSize > KnownExtraSize ? extra[KnownExtraSize..] : [];
            offset += onDisk;
            tableLength += FixedSize + extraSize + idLen + nameLen;
            if (tableLength > SnapshotTableWriter.MaxTableBytes || offset - start > int.MaxValue)
            {
                if (repair is null)
                    throw new SnapshotTableException("Snapshot table is too big",
                        $"You can force-remove all {count - i} overhanging snapshots with imagebuild check -r all", EFBIG);
                repair.Log($"Discarding {count - i} overhanging snapshots (snapshot table is too big)");
                repair.Reduced += (int)(count - i);
                break;
            }
            list.Add(new SnapshotTableEntry(l1Offset, l1Size, id, name, dateSec, dateNsec, vmClock, vmState, diskSize, icount)
            {
                UnknownExtraData = unknownExtra,
                ExtraDataSize = extraSize,
            });
            end = offset;
            offset = (offset + 7) & ~7L;
        }
        tableBytes = end - start;
        return list;
    }

    private const int EFBIG = 27;

    /// <summary>qemu keeps ids and names as C strings: everything from the first NUL on is not part of them.</summary>
    private static string CString(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? bytes : bytes[..nul]);
    }

    /// <summary>qemu's snapshots_size: entries start 8-aligned; the last one ends unpadded.</summary>
    public static long TableSize(Host.HostFile file, long offset, uint count)
    {
        long start = offset;
        Span<byte> fixedPart = stackalloc byte[FixedSize];
        for (uint i = 0; i < count; i++)
        {
            offset = start + ((offset - start + 7) & ~7L);
            file.Read(offset, fixedPart);
            offset += FixedSize + BinaryPrimitives.ReadUInt32BigEndian(fixedPart[36..])
                + BinaryPrimitives.ReadUInt16BigEndian(fixedPart[12..]) + BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..]);
        }
        return offset - start;
    }
}

/// <summary>What check -r all's read of the snapshot table dropped, and where it says so.</summary>
internal sealed class SnapshotTableRepair(Action<string> log)
{
    public Action<string> Log { get; } = log;
    public int ExtraDataDropped { get; set; }
    public int Reduced { get; set; }
}

/// <summary>A snapshot table qemu refuses to read: the error, qemu's hint line, and the errno check fails with.</summary>
internal sealed class SnapshotTableException(string message, string hint, int errno) : ImageException(message + "\n" + hint)
{
    public string Error { get; } = message;
    public string Hint { get; } = hint;
    public int ErrorNumber { get; } = errno;
}
