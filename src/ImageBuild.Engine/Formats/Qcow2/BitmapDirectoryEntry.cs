using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>One persistent dirty bitmap directory entry.</summary>
internal sealed record BitmapDirectoryEntry(ulong TableOffset, uint TableSize, uint Flags, byte Type, byte GranularityBits, string Name)
{
    public const uint FlagInUse = 1;
    public const uint FlagAuto = 2;
    private const int FixedSize = 24;

    public static List<BitmapDirectoryEntry> ReadAll(ReadOnlySpan<byte> dir, uint count, string filename)
    {
        var list = new List<BitmapDirectoryEntry>();
        int o = 0;
        for (uint i = 0; i < count; i++)
        {
            if (o + FixedSize > dir.Length)
                throw new ImageCorruptException($"'{filename}': bitmap directory entry {i} is truncated");
            ulong table = BinaryPrimitives.ReadUInt64BigEndian(dir[o..]);
            uint size = BinaryPrimitives.ReadUInt32BigEndian(dir[(o + 8)..]);
            uint flags = BinaryPrimitives.ReadUInt32BigEndian(dir[(o + 12)..]);
            byte type = dir[o + 16];
            byte gran = dir[o + 17];
            int nameSize = BinaryPrimitives.ReadUInt16BigEndian(dir[(o + 18)..]);
            int extra = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(dir[(o + 20)..]), int.MaxValue / 2);
            long total = FixedSize + (long)extra + nameSize;
            if (o + total > dir.Length)
                throw new ImageCorruptException($"'{filename}': bitmap directory entry {i} is truncated");
            string name = Encoding.UTF8.GetString(dir.Slice(o + FixedSize + extra, nameSize));
            list.Add(new BitmapDirectoryEntry(table, size, flags, type, gran, name));
            o += (int)((total + 7) & ~7L);
        }
        return list;
    }
}
