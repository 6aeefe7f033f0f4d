namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// The variable-length code bvx2 headers store their 360 frequencies in: a little-endian bit stream where the low
/// five bits of what remains select a code of 2, 3 or 5 bits for the values 0..7, an 8-bit code for 8..23 (four value
/// bits above a 4-bit prefix) or a 14-bit code for 24..1047 (ten value bits above a 4-bit prefix).
/// </summary>
internal static class LzfseFrequencyCode
{
    /// <summary>Decodes exactly <paramref name="destination"/>.Length values; the code must end in the last byte.</summary>
    public static void Decode(ReadOnlySpan<byte> code, Span<ushort> destination, long blockOffset)
    {
        uint accumulator = 0;
        int bitCount = 0;
        int position = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            while (position < code.Length && bitCount <= 24)
            {
                accumulator |= (uint)code[position++] << bitCount;
                bitCount += 8;
            }
            int length = CodeLength(accumulator & 31);
            if (length > bitCount)
                throw LzfseError.InBlock(blockOffset, $"frequency table ends after {i} of {destination.Length} values");
            destination[i] = (ushort)Value(accumulator, length);
            accumulator >>= length;
            bitCount -= length;
        }
        if (bitCount >= 8 || position != code.Length)
            throw LzfseError.InBlock(blockOffset, "frequency table does not end at the header's end");
    }

    /// <summary>Length of the code whose low five bits are <paramref name="low5"/>.</summary>
    private static int CodeLength(uint low5)
    {
        if ((low5 & 1) == 0)
            return 2;           // xxx x0: values 0 and 1
        if ((low5 & 3) == 1)
            return 3;           // xx x01: values 2 and 3
        if ((low5 & 7) == 3)
            return 5;           // xx011: values 4..7
        return (low5 & 15) == 7 ? 8 : 14;
    }

    private static uint Value(uint bits, int length) => length switch
    {
        2 => (bits >> 1) & 1,
        3 => 2 + ((bits >> 2) & 1),
        5 => 4 + ((bits >> 3) & 3),
        8 => 8 + ((bits >> 4) & 15),
        _ => 24 + ((bits >> 4) & 1023),
    };
}
