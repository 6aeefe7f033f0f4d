using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// struct ext4_dir_entry_2 (inode u32, rec_len u16, name_len u8, file_type u8, name) read linearly through a
/// directory block. htree interior blocks and the metadata_csum tail read as entries with inode 0 and are skipped.
/// </summary>
internal static class DirectoryEntry
{
    private const int HeaderSize = 8;

    /// <summary>Adds each live entry of the block (name bytes as UTF-8 text, inode number) except "." and "..".</summary>
    public static void ReadBlock(ReadOnlySpan<byte> block, Dictionary<string, uint> into, string where)
    {
        int at = 0;
        while (at + HeaderSize <= block.Length)
        {
            uint inode = BinaryPrimitives.ReadUInt32LittleEndian(block[at..]);
            int recLen = BinaryPrimitives.ReadUInt16LittleEndian(block[(at + 4)..]);
            int nameLen = block[at + 6];
            if (recLen < HeaderSize || at + recLen > block.Length || HeaderSize + nameLen > recLen)
                throw new IOException($"{where}: directory entry at byte {at} of a block has rec_len {recLen}");
            if (inode != 0)
            {
                var name = block.Slice(at + HeaderSize, nameLen);
                if (!(name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)))
                    into[System.Text.Encoding.UTF8.GetString(name)] = inode;
            }
            at += recLen;
        }
    }
}
