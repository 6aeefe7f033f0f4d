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

    /// <summary>Reads the snapshot table: every entry must lie inside the file.</summary>
    public static List<SnapshotTableEntry> ReadAll(Host.HostFile file, long offset, uint count, string filename)
    {
        var list = new List<SnapshotTableEntry>();
        long fileLength = file.Length;
        Span<byte> fixedPart = stackalloc byte[FixedSize];
        for (uint i = 0; i < count; i++)
        {
            if (offset + FixedSize > fileLength)
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
            uint extraSize = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[36..]);
            if (extraSize > 1024)
                throw new ImageCorruptException($"'{filename}': snapshot {i} at offset {offset}: too much extra metadata");
            long total = FixedSize + extraSize + idLen + nameLen;
            if (offset + total > fileLength)
                throw new ImageCorruptException($"'{filename}': snapshot table entry {i} at offset {offset} lies past the end of the file");
            var rest = new byte[total - FixedSize];
            file.Read(offset + FixedSize, rest);
            ulong? diskSize = null;
            long icount = -1;
            if (extraSize >= 8) vmState = BinaryPrimitives.ReadUInt64BigEndian(rest);
            if (extraSize >= 16) diskSize = BinaryPrimitives.ReadUInt64BigEndian(rest.AsSpan(8));
            if (extraSize >= 24) icount = BinaryPrimitives.ReadInt64BigEndian(rest.AsSpan(16));
            string id = Encoding.UTF8.GetString(rest, (int)extraSize, idLen);
            string name = Encoding.UTF8.GetString(rest, (int)extraSize + idLen, nameLen);
            byte[] unknownExtra = extraSize > KnownExtraSize ? rest[KnownExtraSize..(int)extraSize] : [];
            list.Add(new SnapshotTableEntry(l1Offset, l1Size, id, name, dateSec, dateNsec, vmClock, vmState, diskSize, icount)
            {
                UnknownExtraData = unknownExtra,
            });
            offset += (total + 7) & ~7L;
        }
        return list;
    }

    public static long TableSize(Host.HostFile file, long offset, uint count)
    {
        long start = offset;
        Span<byte> fixedPart = stackalloc byte[FixedSize];
        for (uint i = 0; i < count; i++)
        {
            file.Read(offset, fixedPart);
            long total = FixedSize + BinaryPrimitives.ReadUInt32BigEndian(fixedPart[36..])
                + BinaryPrimitives.ReadUInt16BigEndian(fixedPart[12..]) + BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..]);
            offset += (total + 7) & ~7L;
        }
        return offset - start;
    }
}
