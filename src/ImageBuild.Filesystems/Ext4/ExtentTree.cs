using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// Walks an ext4 extent tree (struct ext4_extent_header, magic 0xF30A, then ext4_extent_idx or ext4_extent entries of
/// 12 bytes) from the root in i_block, yielding each leaf extent's logical block, physical block and length.
/// </summary>
internal static class ExtentTree
{
    private const ushort Magic = 0xF30A;
    private const int HeaderSize = 12, EntrySize = 12, InitMaxLength = 32768;

    public readonly record struct Extent(uint LogicalBlock, long PhysicalBlock, int Length);

    public static List<Extent> Leaves(ReadOnlySpan<byte> root, Func<long, byte[]> readBlock, string where)
    {
        var extents = new List<Extent>();
        Walk(root, readBlock, where, extents, 0);
        return extents;
    }

    private static void Walk(ReadOnlySpan<byte> node, Func<long, byte[]> readBlock, string where, List<Extent> into, int level)
    {
        if (node.Length < HeaderSize || BinaryPrimitives.ReadUInt16LittleEndian(node) != Magic || level > 8)
            throw new IOException($"{where}: extent tree node without the 0xF30A header");
        int entries = BinaryPrimitives.ReadUInt16LittleEndian(node[2..]);
        int depth = BinaryPrimitives.ReadUInt16LittleEndian(node[6..]);
        if (HeaderSize + entries * EntrySize > node.Length)
            throw new IOException($"{where}: extent tree node with {entries} entries overruns its block");
        for (int k = 0; k < entries; k++)
        {
            var e = node.Slice(HeaderSize + k * EntrySize, EntrySize);
            uint logical = BinaryPrimitives.ReadUInt32LittleEndian(e);
            if (depth == 0)
            {
                int length = BinaryPrimitives.ReadUInt16LittleEndian(e[4..]);
                if (length > InitMaxLength) length -= InitMaxLength; // uninitialized extent
                long start = (long)BinaryPrimitives.ReadUInt16LittleEndian(e[6..]) << 32 | BinaryPrimitives.ReadUInt32LittleEndian(e[8..]);
                into.Add(new Extent(logical, start, length));
            }
            else
            {
                long leaf = BinaryPrimitives.ReadUInt32LittleEndian(e[4..]) | (long)BinaryPrimitives.ReadUInt16LittleEndian(e[8..]) << 32;
                Walk(readBlock(leaf), readBlock, where, into, level + 1);
            }
        }
    }
}
