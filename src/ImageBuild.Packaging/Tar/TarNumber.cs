using System.Buffers.Binary;

namespace ImageBuild.Packaging.Tar;

/// <summary>
/// The numeric fields of a tar header. POSIX ustar: octal digits, zero-padded to fill the field but its last byte,
/// then NUL. GNU's base-256 extension, for values octal cannot hold: the first byte 0x80, the value big-endian in
/// the remaining bytes (GNU tar writes it for sizes from 8 GiB and for the offsets of its sparse maps).
/// </summary>
internal static class TarNumber
{
    /// <summary>The largest value the octal digits of a field of <paramref name="fieldLength"/> bytes hold.</summary>
    public static long MaxOctal(int fieldLength) => (1L << (3 * (fieldLength - 1))) - 1;

    /// <summary>Writes <paramref name="value"/> in octal, or in base-256 when it does not fit and that is allowed.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or too large for the field.</exception>
    public static void Write(Span<byte> field, long value, bool allowBase256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        if (value <= MaxOctal(field.Length))
        {
            WriteOctal(field, value);
            return;
        }
        if (!allowBase256 || field.Length < 9)
            throw new ArgumentOutOfRangeException(nameof(value), $"{value} does not fit a {field.Length}-byte tar field");
        field.Clear();
        field[0] = 0x80;
        BinaryPrimitives.WriteInt64BigEndian(field[^8..], value);
    }

    /// <summary>Octal digits filling all but the last byte, which is NUL.</summary>
    public static void WriteOctal(Span<byte> field, long value)
    {
        int digits = field.Length - 1;
        for (int i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
        field[digits] = 0;
    }

    /// <summary>
    /// Reads an octal field as GNU tar accepts it: leading spaces, digits, then NULs or spaces. Throws
    /// <see cref="InvalidDataException"/> naming <paramref name="source"/>.
    /// </summary>
    public static long ParseOctal(ReadOnlySpan<byte> field, string source, string what)
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
}
