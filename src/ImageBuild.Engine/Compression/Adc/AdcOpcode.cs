namespace ImageBuild.Engine.Compression.Adc;

/// <summary>
/// One ADC opcode. The high bits of its first byte choose the form:
/// 1LLLLLLL: a literal run of 1-128 bytes follows;
/// 01MMMMMM DDDDDDDD DDDDDDDD: match of 4-67 bytes, distance = 16-bit big-endian value + 1;
/// 00MMMMDD DDDDDDDD: match of 3-18 bytes, distance = 10-bit value + 1.
/// </summary>
internal readonly record struct AdcOpcode(int Size, int Literals, int MatchLength, int Distance)
{
    /// <summary>Reads the opcode at <paramref name="s"/>; an error if it (or its literal run) is cut off by the end of the source.</summary>
    public static AdcOpcode Read(ReadOnlySpan<byte> source, int s)
    {
        byte b = source[s];
        AdcOpcode op;
        if (b >= 0x80)
            op = new AdcOpcode(1, (b & 0x7F) + 1, 0, 0);
        else if (b >= 0x40)
        {
            Need(source, s, 3);
            op = new AdcOpcode(3, 0, (b & 0x3F) + 4, ((source[s + 1] << 8) | source[s + 2]) + 1);
        }
        else
        {
            Need(source, s, 2);
            op = new AdcOpcode(2, 0, ((b >> 2) & 0xF) + 3, (((b & 3) << 8) | source[s + 1]) + 1);
        }
        if (op.Literals > source.Length - s - 1)
            throw new InvalidDataException($"adc: literal run of {op.Literals} at source offset {s} passes the source's end ({source.Length - s - 1} bytes remain)");
        return op;
    }

    private static void Need(ReadOnlySpan<byte> source, int s, int size)
    {
        if (size > source.Length - s)
            throw new InvalidDataException($"adc: match opcode at source offset {s} needs {size} bytes, {source.Length - s} remain");
    }
}
