using System.Text;

namespace ImageBuild.Packaging.Tar;

/// <summary>
/// One 512-byte tar header block, POSIX ustar (IEEE Std 1003.1, "ustar Interchange Format") or GNU's old GNU
/// layout (GNU tar's <c>struct posix_header</c> with <c>struct oldgnu_header</c> over its last bytes: four sparse
/// entries at 386, isextended at 482, realsize at 483). Nothing in it comes from the machine: uid and gid are 0,
/// the user and group names empty (as GNU tar's <c>--numeric-owner --owner=0 --group=0</c>), the mode and mtime are
/// the caller's. Numbers are octal, NUL-terminated, zero-padded as GNU tar writes them; a size or sparse number that
/// octal cannot hold (8 GiB and more) is written in GNU's base-256. The checksum is the unsigned byte sum with the
/// checksum field counted as spaces, written as six octal digits, NUL, space.
/// </summary>
public sealed class TarHeader
{
    public const int BlockSize = 512;

    /// <summary>The largest size a 12-byte octal field holds (8 GiB - 1); larger sizes are written in base-256.</summary>
    public const long MaxOctalSize = (1L << 33) - 1;

    /// <summary>The largest mtime an octal field holds (8^11 - 1 seconds, in the year 2242).</summary>
    public const long MaxOctalTime = (1L << 33) - 1;

    /// <summary>The sparse entries an old GNU header holds (SPARSES_IN_OLDGNU_HEADER).</summary>
    public const int OldGnuSparseEntries = 4;

    public const byte RegularType = (byte)'0';
    public const byte OldRegularType = 0;
    public const byte DirectoryType = (byte)'5';
    public const byte PaxLocalType = (byte)'x';
    public const byte GnuSparseType = (byte)'S';

    public const int NameLength = 100;
    public const int PrefixLength = 155;

    private const int NameOffset = 0;
    private const int ModeOffset = 100, UidOffset = 108, GidOffset = 116, SmallFieldLength = 8;
    private const int SizeOffset = 124, MtimeOffset = 136, LargeFieldLength = 12;
    private const int ChecksumOffset = 148;
    private const int TypeOffset = 156;
    private const int MagicOffset = 257;
    private const int DevMajorOffset = 329, DevMinorOffset = 337;
    private const int PrefixOffset = 345;
    private const int SparseOffset = 386, IsExtendedOffset = 482, RealSizeOffset = 483;

    /// <summary>The name field's bytes (cut to 100 when longer: a PAX record or the prefix carries the rest).</summary>
    public required byte[] NameBytes { get; init; }

    /// <summary>Ustar only: the prefix field, the directories before <see cref="NameBytes"/> (see <see cref="TarMemberName"/>).</summary>
    public byte[] PrefixBytes { get; init; } = [];

    public required byte TypeFlag { get; init; }

    /// <summary>The bytes stored after the header (for a sparse member: the data of its map, not the file's length).</summary>
    public required long Size { get; init; }

    /// <summary>Permission bits, 0644 unless given.</summary>
    public int Mode { get; init; } = 0b110_100_100;

    public long MtimeSeconds { get; init; }

    public TarFormat Format { get; init; } = TarFormat.Ustar;

    /// <summary>
    /// Ustar only: write devmajor and devminor as octal zero, as GNU tar's ustar does for every member; left empty
    /// otherwise (POSIX leaves the fields unspecified for regular files; OCI layers leave them empty).
    /// </summary>
    public bool ZeroDeviceNumbers { get; init; }

    /// <summary>Gnu sparse members: the first entries of the map (at most <see cref="OldGnuSparseEntries"/>).</summary>
    public IReadOnlyList<GnuSparseEntry> SparseEntries { get; init; } = [];

    /// <summary>Gnu sparse members: more entries follow in extension blocks.</summary>
    public bool IsExtended { get; init; }

    /// <summary>Gnu sparse members: the file's length.</summary>
    public long RealSize { get; init; }

    /// <summary>Writes the header into the first 512 bytes of <paramref name="block"/>.</summary>
    /// <exception cref="ArgumentException">A field the format has no room for (a prefix in Gnu, a sparse map in Ustar).</exception>
    public void WriteTo(Span<byte> block)
    {
        bool gnu = Format == TarFormat.Gnu;
        if (gnu ? PrefixBytes.Length > 0 : SparseEntries.Count > 0)
            throw new ArgumentException(gnu ? "the GNU format has no prefix field" : "ustar has no sparse members");
        if (SparseEntries.Count > OldGnuSparseEntries)
            throw new ArgumentException($"an old GNU header holds at most {OldGnuSparseEntries} sparse entries");
        block = block[..BlockSize];
        block.Clear();
        NameBytes.AsSpan(0, Math.Min(NameLength, NameBytes.Length)).CopyTo(block[NameOffset..]);
        TarNumber.Write(block.Slice(ModeOffset, SmallFieldLength), Mode, allowBase256: false);
        TarNumber.Write(block.Slice(UidOffset, SmallFieldLength), 0, allowBase256: false);
        TarNumber.Write(block.Slice(GidOffset, SmallFieldLength), 0, allowBase256: false);
        TarNumber.Write(block.Slice(SizeOffset, LargeFieldLength), Size, allowBase256: true);
        TarNumber.Write(block.Slice(MtimeOffset, LargeFieldLength), MtimeSeconds, allowBase256: false);
        block[TypeOffset] = TypeFlag;
        if (gnu)
        {
            "ustar  \0"u8.CopyTo(block[MagicOffset..]);
            for (int i = 0; i < SparseEntries.Count; i++)
                WriteSparseEntry(block.Slice(SparseOffset + i * GnuSparseEntry.Size, GnuSparseEntry.Size), SparseEntries[i]);
            block[IsExtendedOffset] = IsExtended ? (byte)1 : (byte)0;
            if (TypeFlag == GnuSparseType)
                TarNumber.Write(block.Slice(RealSizeOffset, LargeFieldLength), RealSize, allowBase256: true);
        }
        else
        {
            "ustar\000"u8.CopyTo(block[MagicOffset..]);
            if (ZeroDeviceNumbers)
            {
                TarNumber.WriteOctal(block.Slice(DevMajorOffset, SmallFieldLength), 0);
                TarNumber.WriteOctal(block.Slice(DevMinorOffset, SmallFieldLength), 0);
            }
            PrefixBytes.AsSpan(0, Math.Min(PrefixLength, PrefixBytes.Length)).CopyTo(block[PrefixOffset..]);
        }
        block.Slice(ChecksumOffset, SmallFieldLength).Fill((byte)' ');
        int sum = Checksum(block);
        TarNumber.WriteOctal(block.Slice(ChecksumOffset, 7), sum);
        block[ChecksumOffset + 7] = (byte)' ';
    }

    /// <summary>One sparse entry as GNU tar writes it: offset then numbytes, 12 bytes each.</summary>
    internal static void WriteSparseEntry(Span<byte> slot, GnuSparseEntry entry)
    {
        TarNumber.Write(slot[..LargeFieldLength], entry.Offset, allowBase256: true);
        TarNumber.Write(slot.Slice(LargeFieldLength, LargeFieldLength), entry.NumBytes, allowBase256: true);
    }

    /// <summary>True when the block is all zeros (an end-of-archive block).</summary>
    public static bool IsZeroBlock(ReadOnlySpan<byte> block) => !block[..BlockSize].ContainsAnyExcept((byte)0);

    /// <summary>
    /// Parses a header block: checksum, ustar magic (POSIX or GNU), octal size. The name is prefix "/" name as
    /// ustar joins them. Throws <see cref="InvalidDataException"/> naming <paramref name="source"/>. Reads only what
    /// OCI layers need: the other fields keep their defaults.
    /// </summary>
    public static TarHeader Parse(ReadOnlySpan<byte> block, string source)
    {
        block = block[..BlockSize];
        long stored = TarNumber.ParseOctal(block.Slice(ChecksumOffset, SmallFieldLength), source, "checksum");
        if (stored != Checksum(block)) throw new InvalidDataException($"{source}: a tar header has a bad checksum");
        ReadOnlySpan<byte> magic = block.Slice(MagicOffset, 8);
        if (!magic.StartsWith("ustar\000"u8) && !magic.SequenceEqual("ustar  \0"u8))
            throw new InvalidDataException($"{source}: a tar header is not a POSIX ustar header");
        byte[] name = CString(block.Slice(NameOffset, NameLength)).ToArray();
        if (magic[5] == 0)
        {
            ReadOnlySpan<byte> prefix = CString(block.Slice(PrefixOffset, PrefixLength));
            if (!prefix.IsEmpty) name = [.. prefix, (byte)'/', .. name];
        }
        return new TarHeader
        {
            NameBytes = name,
            TypeFlag = block[TypeOffset],
            Size = TarNumber.ParseOctal(block.Slice(SizeOffset, LargeFieldLength), source, "size"),
            Format = magic[5] == 0 ? TarFormat.Ustar : TarFormat.Gnu,
        };
    }

    /// <summary>The name as text, for messages (invalid UTF-8 shown with replacement characters).</summary>
    public string NameForDisplay => Encoding.UTF8.GetString(NameBytes);

    private static int Checksum(ReadOnlySpan<byte> block)
    {
        int sum = 0;
        for (int i = 0; i < BlockSize; i++)
            sum += i is >= ChecksumOffset and < ChecksumOffset + SmallFieldLength ? ' ' : block[i];
        return sum;
    }

    private static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> field)
    {
        int nul = field.IndexOf((byte)0);
        return nul < 0 ? field : field[..nul];
    }
}
