using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// The on-disk snapshot table as qcow2_write_snapshots lays it out: each entry starts 8-aligned with the fixed
/// 40-byte header, 24 bytes of known extra data (vm_state_size_large, disk_size, icount) plus any unknown extra data
/// kept from the old table, the id and the name; the last entry is not padded.
/// </summary>
internal static class SnapshotTableWriter
{
    /// <summary>qemu's QCOW_MAX_SNAPSHOTS_SIZE.</summary>
    public const long MaxTableBytes = 64L << 20;

    /// <summary>Bytes the table takes, or -1 when it would exceed <see cref="MaxTableBytes"/> (qemu: -EFBIG).</summary>
    public static long Size(IReadOnlyList<SnapshotTableEntry> entries)
    {
        long offset = 0;
        foreach (var sn in entries)
        {
            offset = (offset + 7) & ~7L;
            offset += EntrySize(sn);
            if (offset > MaxTableBytes) return -1;
        }
        return offset;
    }

    private static long EntrySize(SnapshotTableEntry sn) =>
        SnapshotTableEntry.FixedSize + SnapshotTableEntry.KnownExtraSize + sn.UnknownExtraData.Length +
        Encoding.UTF8.GetByteCount(sn.Id) + Encoding.UTF8.GetByteCount(sn.Name);

    /// <summary>
    /// Serialises the table. <paramref name="currentDiskSize"/> stands in for entries read without a disk_size
    /// (qemu fills it in from the image size when it reads such an entry).
    /// </summary>
    public static byte[] Build(IReadOnlyList<SnapshotTableEntry> entries, long currentDiskSize)
    {
        long size = Size(entries);
        if (size < 0) throw new InvalidOperationException("snapshot table too large");
        var buf = new byte[size];
        int pos = 0;
        foreach (var sn in entries)
        {
            pos = (pos + 7) & ~7;
            byte[] id = Encoding.UTF8.GetBytes(sn.Id);
            byte[] name = Encoding.UTF8.GetBytes(sn.Name);
            var h = buf.AsSpan(pos);
            BinaryPrimitives.WriteUInt64BigEndian(h, sn.L1TableOffset);
            BinaryPrimitives.WriteUInt32BigEndian(h[8..], sn.L1Size);
            BinaryPrimitives.WriteUInt16BigEndian(h[12..], (ushort)id.Length);
            BinaryPrimitives.WriteUInt16BigEndian(h[14..], (ushort)name.Length);
            BinaryPrimitives.WriteUInt32BigEndian(h[16..], sn.DateSec);
            BinaryPrimitives.WriteUInt32BigEndian(h[20..], sn.DateNsec);
            BinaryPrimitives.WriteUInt64BigEndian(h[24..], sn.VmClockNsec);
            // A VM state that does not fit in 32 bits is stored only in the extra data; older readers then see a
            // disk-only snapshot rather than a truncated state.
            BinaryPrimitives.WriteUInt32BigEndian(h[32..], sn.VmStateSize <= uint.MaxValue ? (uint)sn.VmStateSize : 0);
            int extraSize = SnapshotTableEntry.KnownExtraSize + sn.UnknownExtraData.Length;
            BinaryPrimitives.WriteUInt32BigEndian(h[36..], (uint)extraSize);
            var extra = h[SnapshotTableEntry.FixedSize..];
            BinaryPrimitives.WriteUInt64BigEndian(extra, sn.VmStateSize);
            BinaryPrimitives.WriteUInt64BigEndian(extra[8..], sn.DiskSize ?? (ulong)currentDiskSize);
            BinaryPrimitives.WriteInt64BigEndian(extra[16..], sn.Icount);
            sn.UnknownExtraData.CopyTo(extra[SnapshotTableEntry.KnownExtraSize..]);
            int p = pos + SnapshotTableEntry.FixedSize + extraSize;
            id.CopyTo(buf, p);
            name.CopyTo(buf, p + id.Length);
            pos = p + id.Length + name.Length;
        }
        return buf;
    }
}
