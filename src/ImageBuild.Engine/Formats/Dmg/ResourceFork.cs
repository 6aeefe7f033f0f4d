using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// The block tables in the classic resource fork form (older DMGs): a fork header giving the offset (0) and length
/// (8) of the resource data, which is a run of resources, each a 4-byte big-endian length and its bytes. Every
/// resource is offered to <see cref="BlkxTable"/>, which skips those that are not block tables; the resource map
/// after the data is not needed. Bounds as qemu's dmg_read_resource_fork (EINVAL).
/// </summary>
internal static class ResourceFork
{
    public static void Read(HostFile file, ulong begin, ulong length, DmgTableBuilder builder)
    {
        Span<byte> word = stackalloc byte[4];
        file.Read((long)begin, word);
        uint dataOffset = BinaryPrimitives.ReadUInt32BigEndian(word);
        if (dataOffset > length) throw UdifTrailer.Invalid();
        file.Read((long)begin + 8, word);
        uint count = BinaryPrimitives.ReadUInt32BigEndian(word);
        if (count == 0 || (ulong)dataOffset + count > length) throw UdifTrailer.Invalid();

        ulong offset = begin + dataOffset;
        ulong end = offset + count;
        while (offset < end)
        {
            file.Read((long)offset, word);
            uint size = BinaryPrimitives.ReadUInt32BigEndian(word);
            if (size == 0 || size > end - offset) throw UdifTrailer.Invalid();
            offset += 4;
            long start = (long)offset;
            BlkxTable.Read((pos, dest) => file.Read(start + pos, dest), size, builder);
            offset += size;
        }
    }
}
