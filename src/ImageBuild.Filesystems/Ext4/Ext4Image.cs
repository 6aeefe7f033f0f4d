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
    private readonly Dictionary<uint, long> _inodeTables = [];

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

    /// <summary>Writes bytes at an offset inside the filesystem.</summary>
    public void Write(ReadOnlySpan<byte> data, long at) => RandomAccess.Write(_handle, data, _offset + at);

    public byte[] ReadBlock(long block)
    {
        if (block < 0 || block >= Super.BlocksCount) throw new IOException($"{_where}: block {block} is outside the filesystem");
        var data = new byte[Super.BlockSize];
        ReadExactly(data, block * Super.BlockSize);
        return data;
    }

    public void ReadInode(uint number, Span<byte> inode) => ReadExactly(inode, InodeOffset(number));

    /// <summary>Byte offset of inode <paramref name="number"/> inside the filesystem.</summary>
    public long InodeOffset(uint number)
    {
        if (number < 1 || number > Super.InodesCount) throw new IOException($"{_where}: inode {number} does not exist");
        uint group = (number - 1) / Super.InodesPerGroup, index = (number - 1) % Super.InodesPerGroup;
        if (!_inodeTables.TryGetValue(group, out long table))
        {
            Span<byte> descriptor = stackalloc byte[Super.DescriptorSize];
            ReadExactly(descriptor, Super.DescriptorTableOffset + (long)group * Super.DescriptorSize);
            _inodeTables[group] = table = GroupDescriptor.InodeTable(descriptor, Super.DescriptorSize);
        }
        return table * Super.BlockSize + (long)index * Super.InodeSize;
    }

    /// <summary>Reads bytes at an offset inside the filesystem.</summary>
    public void ReadExactly(Span<byte> into, long at)
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
