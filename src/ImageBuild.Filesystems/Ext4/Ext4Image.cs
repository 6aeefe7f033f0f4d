using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// An ext4 filesystem at a byte offset of an open file, for reading blocks and reading and writing inodes in place:
/// inode N is entry (N-1) % s_inodes_per_group of the inode table of group (N-1) / s_inodes_per_group.
/// </summary>
internal sealed class Ext4Image
{
    private readonly SafeFileHandle _handle;
    private readonly long _offset;
    private readonly string _where;

    public Ext4Image(SafeFileHandle handle, long offset, string where)
    {
        _handle = handle;
        _offset = offset;
        _where = where;
        var sb = new byte[Superblock.Size];
        ReadExactly(sb, Superblock.Offset);
        Super = Superblock.Read(sb, where);
    }

    public Superblock Super { get; }

    public byte[] ReadBlock(long block)
    {
        if (block < 0 || block >= Super.BlocksCount) throw new IOException($"{_where}: block {block} is outside the filesystem");
        var data = new byte[Super.BlockSize];
        ReadExactly(data, block * Super.BlockSize);
        return data;
    }

    public void ReadInode(uint number, Span<byte> inode) => ReadExactly(inode, InodeOffset(number));

    public void WriteInode(uint number, ReadOnlySpan<byte> inode) => RandomAccess.Write(_handle, inode, _offset + InodeOffset(number));

    private long InodeOffset(uint number)
    {
        if (number < 1 || number > Super.InodesCount) throw new IOException($"{_where}: inode {number} does not exist");
        uint group = (number - 1) / Super.InodesPerGroup, index = (number - 1) % Super.InodesPerGroup;
        Span<byte> descriptor = stackalloc byte[Super.DescriptorSize];
        ReadExactly(descriptor, Super.DescriptorTableOffset + (long)group * Super.DescriptorSize);
        return GroupDescriptor.InodeTable(descriptor, Super.DescriptorSize) * Super.BlockSize + (long)index * Super.InodeSize;
    }

    private void ReadExactly(Span<byte> into, long at)
    {
        int done = 0;
        while (done < into.Length)
        {
            int n = RandomAccess.Read(_handle, into[done..], _offset + at + done);
            if (n == 0) throw new IOException($"{_where}: the filesystem ends before byte {at + done}");
            done += n;
        }
    }
}
