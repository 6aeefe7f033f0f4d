namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// Decodes an LZFSE stream (Apple's block format: bvx1/bvx2 LZFSE blocks, bvxn LZVN blocks, bvx- raw blocks, ended by
/// bvx$) into a buffer of known size, as DMG chunks of type 0x80000007 hold them.
/// </summary>
public static class LzfseDecoder
{
    /// <summary>
    /// Decodes all of <paramref name="source"/> into <paramref name="destination"/> and returns the number of bytes
    /// written. Throws <see cref="InvalidDataException"/> (a one-line message, with the offset in the source) when the
    /// stream is corrupt, truncated, or would write past the end of <paramref name="destination"/>.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination) =>
        throw new NotSupportedException("lzfse: the decoder is being written (issue #17)");
}
