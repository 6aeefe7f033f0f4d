namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// FSE decoding table of one of the L, M, D alphabets: each state gives the symbol's base value, its extra-bit count,
/// and how to form the next state; the state bits and the extra bits are pulled from the stream in one read.
/// </summary>
internal sealed class FseValueTable
{
    private readonly LmdAlphabet _alphabet;
    private readonly string _name;
    private readonly int[] _base;
    private readonly byte[] _stateBits;
    private readonly byte[] _extraBits;
    private readonly short[] _delta;

    /// <summary>A table of <paramref name="stateCount"/> states for <paramref name="alphabet"/>.</summary>
    public FseValueTable(LmdAlphabet alphabet, int stateCount, string name)
    {
        _alphabet = alphabet;
        _name = name;
        StateCount = stateCount;
        _base = new int[stateCount];
        _stateBits = new byte[stateCount];
        _extraBits = new byte[stateCount];
        _delta = new short[stateCount];
    }

    /// <summary>Number of states; a header's initial state must be below it.</summary>
    public int StateCount { get; }

    /// <summary>Rebuilds the table from a block's frequencies for this alphabet.</summary>
    public void Build(ReadOnlySpan<ushort> frequencies, long blockOffset)
    {
        Array.Clear(_base);
        Array.Clear(_stateBits);
        Array.Clear(_extraBits);
        Array.Clear(_delta);
        FseStateSpread.Spread(frequencies, StateCount, blockOffset, _name, (state, symbol, bits, delta) =>
        {
            _base[state] = _alphabet.BaseValues[symbol];
            _stateBits[state] = (byte)bits;
            _extraBits[state] = _alphabet.ExtraBits[symbol];
            _delta[state] = (short)delta;
        });
    }

    /// <summary>Decodes one value from <paramref name="state"/> and advances the state.</summary>
    public int Decode(ref int state, ref FseBackwardBitReader reader)
    {
        int s = state;
        int extra = _extraBits[s];
        int bits = reader.Pull(_stateBits[s] + extra);
        state = _delta[s] + (bits >> extra);
        return _base[s] + (bits & ((1 << extra) - 1));
    }
}
