using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// struct ext4_inode over its on-disk bytes (s_inode_size of them): the fields the writer sets afterwards (mode,
/// owner, the four timestamps and their _extra words), the extent root in i_block, in-inode extended attributes and
/// the metadata_csum checksum (i_checksum_lo at 0x7C, i_checksum_hi at 0x82).
/// </summary>
internal static class Inode
{
    public const int GoodOldSize = 128;
    public const uint ExtentsFlag = 0x80000;
    public const ushort TypeMask = 0xF000, TypeDirectory = 0x4000, TypeRegular = 0x8000, TypeSymlink = 0xA000;
    private const int ExtraIsize = 0x80, ChecksumLo = 0x7C, ChecksumHi = 0x82;
    private const uint XattrMagic = 0xEA020000;

    public static ushort Mode(ReadOnlySpan<byte> i) => BinaryPrimitives.ReadUInt16LittleEndian(i);
    public static uint Flags(ReadOnlySpan<byte> i) => BinaryPrimitives.ReadUInt32LittleEndian(i[0x20..]);
    public static long Size(ReadOnlySpan<byte> i) => BinaryPrimitives.ReadUInt32LittleEndian(i[0x4..]) | (long)BinaryPrimitives.ReadUInt32LittleEndian(i[0x6C..]) << 32;
    public static ReadOnlySpan<byte> Block(ReadOnlySpan<byte> i) => i.Slice(0x28, 60);
    public static uint Generation(ReadOnlySpan<byte> i) => BinaryPrimitives.ReadUInt32LittleEndian(i[0x64..]);
    public static long FileAcl(ReadOnlySpan<byte> i) => BinaryPrimitives.ReadUInt32LittleEndian(i[0x68..]) | (long)BinaryPrimitives.ReadUInt16LittleEndian(i[0x76..]) << 32;
    private static int ExtraSize(ReadOnlySpan<byte> i) => i.Length > GoodOldSize ? BinaryPrimitives.ReadUInt16LittleEndian(i[ExtraIsize..]) : 0;

    /// <summary>Sets the permission bits (keeping the file type), i_uid/i_gid with their high halves.</summary>
    public static void SetOwnerAndMode(Span<byte> i, int mode, int uid, int gid)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(i, (ushort)((Mode(i) & TypeMask) | (mode & 0xFFF)));
        BinaryPrimitives.WriteUInt16LittleEndian(i[0x2..], (ushort)uid);
        BinaryPrimitives.WriteUInt16LittleEndian(i[0x78..], (ushort)((uint)uid >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(i[0x18..], (ushort)gid);
        BinaryPrimitives.WriteUInt16LittleEndian(i[0x7A..], (ushort)((uint)gid >> 16));
    }

    /// <summary>
    /// Sets i_atime, i_ctime, i_mtime and i_crtime to <paramref name="seconds"/>: the low 32 bits in the base field,
    /// the epoch bits (seconds past 2038) in the low two bits of each _extra word, nanoseconds zero.
    /// </summary>
    public static void SetTimes(Span<byte> i, long seconds)
    {
        uint low = (uint)seconds;
        uint epoch = (uint)((seconds - (int)low) >> 32) & 3;
        BinaryPrimitives.WriteUInt32LittleEndian(i[0x8..], low);   // i_atime
        BinaryPrimitives.WriteUInt32LittleEndian(i[0xC..], low);   // i_ctime
        BinaryPrimitives.WriteUInt32LittleEndian(i[0x10..], low);  // i_mtime
        int extra = ExtraSize(i);
        if (extra >= 0x88 - GoodOldSize) BinaryPrimitives.WriteUInt32LittleEndian(i[0x84..], epoch); // i_ctime_extra
        if (extra >= 0x8C - GoodOldSize) BinaryPrimitives.WriteUInt32LittleEndian(i[0x88..], epoch); // i_mtime_extra
        if (extra >= 0x90 - GoodOldSize) BinaryPrimitives.WriteUInt32LittleEndian(i[0x8C..], epoch); // i_atime_extra
        if (extra >= 0x94 - GoodOldSize) BinaryPrimitives.WriteUInt32LittleEndian(i[0x90..], low);   // i_crtime
        if (extra >= 0x98 - GoodOldSize) BinaryPrimitives.WriteUInt32LittleEndian(i[0x94..], epoch); // i_crtime_extra
    }

    /// <summary>
    /// Removes extended attributes stored inside the inode (after i_extra_isize), which mke2fs -d copies from the host
    /// file. Returns false when the inode has an external attribute block (i_file_acl), which is not removed here.
    /// </summary>
    public static bool ClearExtendedAttributes(Span<byte> i)
    {
        int start = GoodOldSize + ExtraSize(i);
        if (i.Length > GoodOldSize && start + 4 <= i.Length && BinaryPrimitives.ReadUInt32LittleEndian(i[start..]) == XattrMagic)
            i[start..].Clear();
        return FileAcl(i) == 0;
    }

    /// <summary>The metadata_csum inode checksum: crc32c over the inode number, i_generation and the inode with both checksum fields zero.</summary>
    public static uint Checksum(ReadOnlySpan<byte> i, uint csumSeed, uint inodeNumber)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, inodeNumber);
        uint crc = Crc32C.Compute(csumSeed, word);
        BinaryPrimitives.WriteUInt32LittleEndian(word, Generation(i));
        crc = Crc32C.Compute(crc, word);
        Span<byte> copy = stackalloc byte[i.Length];
        i.CopyTo(copy);
        copy.Slice(ChecksumLo, 2).Clear();
        if (HasChecksumHi(copy)) copy.Slice(ChecksumHi, 2).Clear();
        return Crc32C.Compute(crc, copy);
    }

    public static uint StoredChecksum(ReadOnlySpan<byte> i) =>
        BinaryPrimitives.ReadUInt16LittleEndian(i[ChecksumLo..]) | (HasChecksumHi(i) ? (uint)BinaryPrimitives.ReadUInt16LittleEndian(i[ChecksumHi..]) << 16 : 0);

    /// <summary>Whether a stored checksum matches: only the low 16 bits exist when i_checksum_hi does not.</summary>
    public static bool ChecksumMatches(ReadOnlySpan<byte> i, uint csumSeed, uint inodeNumber)
    {
        uint sum = Checksum(i, csumSeed, inodeNumber);
        return StoredChecksum(i) == (HasChecksumHi(i) ? sum : sum & 0xFFFF);
    }

    public static void WriteChecksum(Span<byte> i, uint csumSeed, uint inodeNumber)
    {
        uint sum = Checksum(i, csumSeed, inodeNumber);
        BinaryPrimitives.WriteUInt16LittleEndian(i[ChecksumLo..], (ushort)sum);
        if (HasChecksumHi(i)) BinaryPrimitives.WriteUInt16LittleEndian(i[ChecksumHi..], (ushort)(sum >> 16));
    }

    private static bool HasChecksumHi(ReadOnlySpan<byte> i) => ExtraSize(i) >= ChecksumHi + 2 - GoodOldSize;
}
