using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>The field of struct ext4_group_desc that finding an inode needs: bg_inode_table (lo at 0x8, hi at 0x28).</summary>
internal static class GroupDescriptor
{
    public static long InodeTable(ReadOnlySpan<byte> d, int descriptorSize) =>
        BinaryPrimitives.ReadUInt32LittleEndian(d[0x8..]) | (descriptorSize >= 64 ? (long)BinaryPrimitives.ReadUInt32LittleEndian(d[0x28..]) << 32 : 0);
}
