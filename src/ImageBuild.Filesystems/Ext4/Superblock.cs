using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// The fields of struct ext4_super_block (1024 bytes at byte 1024 of the filesystem) that locating and patching
/// inodes needs, read as the ext4 disk layout documentation gives them.
/// </summary>
internal sealed class Superblock
{
    public const int Offset = 1024;
    public const int Size = 1024;
    public const ushort Ext4Magic = 0xEF53;
    public const int MagicOffset = 0x38;

    private const uint IncompatExtents = 0x40, Incompat64Bit = 0x80, IncompatCsumSeed = 0x2000, IncompatInlineData = 0x8000;
    private const uint RoCompatMetadataCsum = 0x400;

    public required long BlocksCount { get; init; }
    public required long FreeBlocksCount { get; init; }
    public required uint FirstDataBlock { get; init; }
    public required int BlockSize { get; init; }
    public required uint InodesCount { get; init; }
    public required uint InodesPerGroup { get; init; }
    public required int InodeSize { get; init; }
    public required int DescriptorSize { get; init; }
    public required uint FeatureIncompat { get; init; }
    public required uint FeatureRoCompat { get; init; }
    public required byte[] Uuid { get; init; }
    public required uint ChecksumSeed { get; init; }

    public bool HasMetadataCsum => (FeatureRoCompat & RoCompatMetadataCsum) != 0;
    public bool HasExtents => (FeatureIncompat & IncompatExtents) != 0;
    public bool HasInlineData => (FeatureIncompat & IncompatInlineData) != 0;

    /// <summary>The seed of every metadata checksum: s_checksum_seed with metadata_csum_seed, else crc32c(~0, s_uuid).</summary>
    public uint CsumSeed => (FeatureIncompat & IncompatCsumSeed) != 0 ? ChecksumSeed : Crc32C.Compute(~0u, Uuid);

    public int GroupCount => (int)((InodesCount + InodesPerGroup - 1) / InodesPerGroup);

    /// <summary>Byte offset (inside the filesystem) of the group descriptor table.</summary>
    public long DescriptorTableOffset => ((long)FirstDataBlock + 1) * BlockSize;

    public static Superblock Read(ReadOnlySpan<byte> s, string where)
    {
        if (BinaryPrimitives.ReadUInt16LittleEndian(s[MagicOffset..]) != Ext4Magic)
            throw new IOException($"{where}: no ext4 superblock after mke2fs (magic missing)");
        uint incompat = BinaryPrimitives.ReadUInt32LittleEndian(s[0x60..]);
        bool is64 = (incompat & Incompat64Bit) != 0;
        int logBlock = (int)BinaryPrimitives.ReadUInt32LittleEndian(s[0x18..]);
        ushort descSize = BinaryPrimitives.ReadUInt16LittleEndian(s[0xFE..]);
        return new Superblock
        {
            InodesCount = BinaryPrimitives.ReadUInt32LittleEndian(s[0x0..]),
            BlocksCount = BinaryPrimitives.ReadUInt32LittleEndian(s[0x4..]) | (is64 ? (long)BinaryPrimitives.ReadUInt32LittleEndian(s[0x150..]) << 32 : 0),
            FreeBlocksCount = BinaryPrimitives.ReadUInt32LittleEndian(s[0xC..]) | (is64 ? (long)BinaryPrimitives.ReadUInt32LittleEndian(s[0x158..]) << 32 : 0),
            FirstDataBlock = BinaryPrimitives.ReadUInt32LittleEndian(s[0x14..]),
            BlockSize = 1024 << logBlock,
            InodesPerGroup = BinaryPrimitives.ReadUInt32LittleEndian(s[0x28..]),
            InodeSize = BinaryPrimitives.ReadUInt16LittleEndian(s[0x58..]),
            DescriptorSize = is64 && descSize >= 64 ? descSize : 32,
            FeatureIncompat = incompat,
            FeatureRoCompat = BinaryPrimitives.ReadUInt32LittleEndian(s[0x64..]),
            Uuid = s.Slice(0x68, 16).ToArray(),
            ChecksumSeed = BinaryPrimitives.ReadUInt32LittleEndian(s[0x270..]),
        };
    }
}
