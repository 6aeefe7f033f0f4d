namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// FSE decoding table of the literal-byte alphabet (1024 states): each state gives the byte it decodes to and how to
/// form the next state from fresh bits.
/// </summary>
internal sealed class FseLiteralTable
{
    private readonly byte[] _symbol = new byte[LzfseLimits.LiteralStates];
    private readonly byte[] _bits = new byte[LzfseLimits.LiteralStates];
    private readonly short[] _delta = new short[LzfseLimits.LiteralStates];

    /// <summary>Rebuilds the table from a block's literal frequencies.</summary>
    public void Build(ReadOnlySpan<ushort> frequencies, long blockOffset)
    {
        Array.Clear(_symbol);
        Array.Clear(_bits);
        Array.Clear(_delta);
        FseStateSpread.Spread(frequencies, LzfseLimits.LiteralStates, blockOffset, "literal", (state, symbol, bits, delta) =>
        {
            _symbol[state] = (byte)symbol;
            _bits[state] = (byte)bits;
            _delta[state] = (short)delta;
        });
    }

    /// <summary>Decodes one literal from <paramref name="state"/> and advances the state.</summary>
    public byte Decode(ref int state, ref FseBackwardBitReader reader)
    {
        int s = state;
        state = _delta[s] + reader.Pull(_bits[s]);
        return _symbol[s];
    }
}
