using System.Text;

namespace ImageBuild.Oci.Layers;

/// <summary>
/// One 512-byte POSIX ustar header block: the fields this encoding writes and the checks its reader makes. Numbers
/// are octal ASCII, NUL-terminated, as GNU tar writes them; the checksum is the unsigned byte sum with the
/// checksum field counted as spaces.
/// </summary>
internal sealed class TarHeader
{
    public const int BlockSize = 512;

    /// <summary>The largest size a 12-byte octal field holds (8 GiB - 1); larger sizes go in a PAX "size" record.</summary>
    public const long MaxOctalSize = (1L << 33) - 1;

    public const byte RegularType = (byte)'0';
    public const byte OldRegularType = 0;
    public const byte DirectoryType = (byte)'5';
    public const byte PaxLocalType = (byte)'x';

    private const int NameOffset = 0, NameLength = 100;
    private const int ModeOffset = 100, UidOffset = 108, GidOffset = 116, SmallFieldLength = 8;
    private const int SizeOffset = 124, MtimeOffset = 136, LargeFieldLength = 12;
    private const int ChecksumOffset = 148;
    private const int TypeOffset = 156;
    private const int MagicOffset = 257;
    private const int PrefixOffset = 345, PrefixLength = 155;

    public required byte[] NameBytes { get; init; }
    public required byte TypeFlag { get; init; }
    public required long Size { get; init; }

    /// <summary>
    /// Writes the header: mode 0644, uid/gid 0, mtime 0, empty user and group names, so nothing in it depends on
    /// the machine or the clock. Names longer than the field are cut (the PAX record carries the full name).
    /// </summary>
    public void WriteTo(Span<byte> block)
    {
        block = block[..BlockSize];
        block.Clear();
        NameBytes.AsSpan(0, Math.Min(NameLength, NameBytes.Length)).CopyTo(block[NameOffset..]);
        WriteOctal(block.Slice(ModeOffset, SmallFieldLength), 0b110_100_100);
        WriteOctal(block.Slice(UidOffset, SmallFieldLength), 0);
        WriteOctal(block.Slice(GidOffset, SmallFieldLength), 0);
        WriteOctal(block.Slice(SizeOffset, LargeFieldLength), Size > MaxOctalSize ? 0 : Size);
        WriteOctal(block.Slice(MtimeOffset, LargeFieldLength), 0);
        block[TypeOffset] = TypeFlag;
        "ustar\000"u8.CopyTo(block[MagicOffset..]);
        block.Slice(ChecksumOffset, SmallFieldLength).Fill((byte)' ');
        int sum = Checksum(block);
        WriteOctal(block.Slice(ChecksumOffset, 7), sum);
        block[ChecksumOffset + 7] = (byte)' ';
    }

    /// <summary>True when the block is all zeros (an end-of-archive block).</summary>
    public static bool IsZeroBlock(ReadOnlySpan<byte> block) => !block[..BlockSize].ContainsAnyExcept((byte)0);

    /// <summary>
    /// Parses a header block: checksum, ustar magic (POSIX or GNU), octal size. The name is prefix "/" name as
    /// ustar joins them. Throws <see cref="InvalidDataException"/> naming <paramref name="source"/>.
    /// </summary>
    public static TarHeader Parse(ReadOnlySpan<byte> block, string source)
    {
        block = block[..BlockSize];
        long stored = ParseOctal(block.Slice(ChecksumOffset, SmallFieldLength), source, "checksum");
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
            Size = ParseOctal(block.Slice(SizeOffset, LargeFieldLength), source, "size"),
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

    private static void WriteOctal(Span<byte> field, long value)
    {
        int digits = field.Length - 1;
        for (int i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
        field[digits] = 0;
    }

    private static long ParseOctal(ReadOnlySpan<byte> field, string source, string what)
    {
        int i = 0;
        while (i < field.Length && field[i] == ' ') i++;
        long value = 0;
        int digits = 0;
        for (; i < field.Length && field[i] is >= (byte)'0' and <= (byte)'7'; i++, digits++)
        {
            if (value > (long.MaxValue >> 3)) throw new InvalidDataException($"{source}: a tar header's {what} is out of range");
            value = (value << 3) | (uint)(field[i] - '0');
        }
        for (; i < field.Length; i++)
            if (field[i] is not (0 or (byte)' '))
                throw new InvalidDataException($"{source}: a tar header's {what} field is not an octal number");
        if (digits == 0) throw new InvalidDataException($"{source}: a tar header's {what} field is empty");
        return value;
    }

    private static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> field)
    {
        int nul = field.IndexOf((byte)0);
        return nul < 0 ? field : field[..nul];
    }
}
