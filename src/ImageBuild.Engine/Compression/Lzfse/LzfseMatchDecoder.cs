namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// Decodes the LMD payload of an LZFSE block and executes it: each triplet emits L literals from the decoded literal
/// bytes, then copies M bytes from D back (D = 0 repeats the previous distance).
/// </summary>
internal sealed class LzfseMatchDecoder
{
    private readonly FseValueTable _l = new(LmdAlphabet.Literal, LzfseLimits.LStates, "L");
    private readonly FseValueTable _m = new(LmdAlphabet.Match, LzfseLimits.MStates, "M");
    private readonly FseValueTable _d = new(LmdAlphabet.Distance, LzfseLimits.DStates, "D");

    /// <summary>Builds the three tables from the header's frequencies.</summary>
    public void Build(LzfseBlockHeader header, long blockOffset)
    {
        _l.Build(header.LFrequencies, blockOffset);
        _m.Build(header.MFrequencies, blockOffset);
        _d.Build(header.DFrequencies, blockOffset);
    }

    /// <summary>
    /// Executes the block's triplets, writing from <paramref name="position"/> up to <paramref name="blockEnd"/> of
    /// <paramref name="output"/> (the block's raw size, already checked against the destination); returns the new
    /// position, which must reach <paramref name="blockEnd"/>.
    /// </summary>
    public int Execute(LzfseBlockHeader header, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> literals,
        Span<byte> output, int position, int blockEnd, long blockOffset)
    {
        int literalCount = (int)header.Literals;
        int literal = 0;
        int distance = 0;
        if (header.Matches > 0)
        {
            var reader = new FseBackwardBitReader(payload, header.LmdBits, blockOffset, "L/M/D");
            int ls = header.LState, ms = header.MState, ds = header.DState;
            for (uint i = 0; i < header.Matches; i++)
            {
                reader.Refill();
                int l = _l.Decode(ref ls, ref reader);
                int m = _m.Decode(ref ms, ref reader);
                int d = _d.Decode(ref ds, ref reader);
                if (d != 0)
                    distance = d;
                if (l > literalCount - literal)
                    throw LzfseError.InBlock(blockOffset, $"match {i}: literal run of {l} passes the block's {literalCount} literals");
                if (l + m > blockEnd - position)
                    throw LzfseError.InBlock(blockOffset, $"match {i}: {l} literals and {m} match bytes overflow the block's {header.RawBytes} raw bytes");
                literals.Slice(literal, l).CopyTo(output[position..]);
                literal += l;
                position += l;
                if (m == 0)
                    continue;
                if (distance == 0 || distance > position)
                    throw LzfseError.InBlock(blockOffset, $"match {i}: distance {distance} at output offset {position} points before the output's start");
                LzCopy.Match(output, position, distance, m);
                position += m;
            }
        }
        if (position != blockEnd)
            throw LzfseError.InBlock(blockOffset, $"block decodes to {header.RawBytes - (blockEnd - position)} bytes, its header says {header.RawBytes}");
        return position;
    }
}
