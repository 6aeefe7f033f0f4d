namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// Decodes the literal payload of an LZFSE block: four FSE decoders sharing one table and one backward bit stream,
/// taking turns, so literals come out in groups of four.
/// </summary>
internal static class LzfseLiteralDecoder
{
    /// <summary>
    /// Decodes the header's literal count (rounded up to a multiple of four) from <paramref name="payload"/> into
    /// <paramref name="literals"/> (at least <see cref="LzfseLimits.LiteralsPerBlock"/> bytes).
    /// </summary>
    public static void Decode(LzfseBlockHeader header, FseLiteralTable table, ReadOnlySpan<byte> payload, Span<byte> literals, long blockOffset)
    {
        int count = (int)header.Literals;
        if (count == 0)
            return;
        var reader = new FseBackwardBitReader(payload, header.LiteralBits, blockOffset, "literal");
        int s0 = header.LiteralStates[0], s1 = header.LiteralStates[1], s2 = header.LiteralStates[2], s3 = header.LiteralStates[3];
        for (int i = 0; i < count; i += 4)
        {
            reader.Refill();
            literals[i] = table.Decode(ref s0, ref reader);
            literals[i + 1] = table.Decode(ref s1, ref reader);
            literals[i + 2] = table.Decode(ref s2, ref reader);
            literals[i + 3] = table.Decode(ref s3, ref reader);
        }
    }
}
