namespace ImageBuild.Engine.Compression.Adc;

/// <summary>
/// Decodes Apple Data Compression (ADC), the LZ77 variant of DMG chunks of type 0x80000004. The stream is a sequence
/// of byte-aligned opcodes with no end marker: it ends where the source ends.
/// </summary>
public static class AdcDecoder
{
    /// <summary>
    /// Decodes all of <paramref name="source"/> into <paramref name="destination"/> and returns the number of bytes
    /// written. Throws <see cref="InvalidDataException"/> (a one-line message, with the offset in the source) when the
    /// data is corrupt, truncated, refers before the start of the output, or would write past the end of
    /// <paramref name="destination"/>.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int s = 0;
        int position = 0;
        while (s < source.Length)
        {
            var op = AdcOpcode.Read(source, s);
            if (op.Literals > 0)
            {
                int start = s + op.Size;
                if (op.Literals > destination.Length - position)
                    throw Overflow(s, op.Literals, position, destination.Length);
                source.Slice(start, op.Literals).CopyTo(destination[position..]);
                position += op.Literals;
            }
            else
            {
                if (op.Distance > position)
                    throw new InvalidDataException($"adc: match at source offset {s} reaches {op.Distance} bytes back from output offset {position}, before the output's start");
                if (op.MatchLength > destination.Length - position)
                    throw Overflow(s, op.MatchLength, position, destination.Length);
                LzCopy.Match(destination, position, op.Distance, op.MatchLength);
                position += op.MatchLength;
            }
            s += op.Size + op.Literals;
        }
        return position;
    }

    private static InvalidDataException Overflow(int s, int length, int position, int capacity) =>
        new($"adc: {length} bytes at source offset {s} overflow the destination's {capacity} bytes at output offset {position}");
}
