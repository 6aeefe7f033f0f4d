using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// One block table ("mish", a BLKXTable): a header giving the first sector of its partition (0x08) and the offset of
/// its data in the data fork (0x18), then 40-byte run entries {type, reserved, sector number, sector count,
/// compressed offset, compressed length}, all big-endian. Read as qemu's dmg_read_mish_block does: a blob that is not
/// a table (another magic, or shorter than one entry) is skipped, entries are checked against qemu's limits.
/// </summary>
internal static class BlkxTable
{
    private const uint Magic = 0x6d697368; // "mish"

    /// <summary>Reads <paramref name="count"/> bytes of the blob at a position (relative to its start) into a span.</summary>
    public delegate void BlobReader(long position, Span<byte> dest);

    /// <summary>
    /// Adds the chunks of the blob of <paramref name="count"/> bytes to <paramref name="builder"/>. The entries are
    /// read a page at a time, so a table of any size needs little memory.
    /// </summary>
    public static void Read(BlobReader read, long count, DmgTableBuilder builder)
    {
        if (count < DmgLimits.MinMishSize) return;
        var header = new byte[DmgLimits.MishHeaderSize];
        read(0, header);
        if (BinaryPrimitives.ReadUInt32BigEndian(header) != Magic) return;
        ulong firstSector = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(0x08));
        ulong dataOffset = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(0x18));
        long entries = (count - DmgLimits.MishHeaderSize) / DmgLimits.RunEntrySize;
        const int PerPage = 4096;
        var page = new byte[PerPage * DmgLimits.RunEntrySize];
        for (long done = 0; done < entries;)
        {
            int n = (int)Math.Min(PerPage, entries - done);
            var span = page.AsSpan(0, n * DmgLimits.RunEntrySize);
            read(DmgLimits.MishHeaderSize + done * DmgLimits.RunEntrySize, span);
            for (int i = 0; i < n; i++)
            {
                var e = span.Slice(i * DmgLimits.RunEntrySize, DmgLimits.RunEntrySize);
                builder.Add(
                    BinaryPrimitives.ReadUInt32BigEndian(e),
                    BinaryPrimitives.ReadUInt64BigEndian(e[0x08..]) + firstSector,
                    BinaryPrimitives.ReadUInt64BigEndian(e[0x10..]),
                    BinaryPrimitives.ReadUInt64BigEndian(e[0x18..]) + dataOffset,
                    BinaryPrimitives.ReadUInt64BigEndian(e[0x20..]));
            }
            done += n;
        }
    }
}
