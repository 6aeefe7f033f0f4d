namespace ImageBuild.Engine.Compression.Adc;

/// <summary>Decodes Apple Data Compression (ADC), the LZ77 variant of DMG chunks of type 0x80000004.</summary>
public static class AdcDecoder
{
    /// <summary>
    /// Decodes all of <paramref name="source"/> into <paramref name="destination"/> and returns the number of bytes
    /// written. Throws <see cref="InvalidDataException"/> (a one-line message, with the offset in the source) when the
    /// data is corrupt, truncated, refers before the start of the output, or would write past the end of
    /// <paramref name="destination"/>.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination) =>
        throw new NotSupportedException("adc: the decoder is being written (issue #17)");
}
