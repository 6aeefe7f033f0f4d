using System.Numerics;

namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// The FSE state layout shared by the literal and the L/M/D tables: each symbol owns as many consecutive states as its
/// normalised frequency; state j of a symbol with frequency f reads k or k-1 fresh bits (k = how many times f must be
/// doubled to reach the state count) and adds them to a per-state base to form the next state. The layout guarantees
/// every next state is below the state count.
/// </summary>
internal static class FseStateSpread
{
    /// <summary>
    /// Checks that <paramref name="frequencies"/> sum to at most <paramref name="stateCount"/> (an error naming
    /// <paramref name="tableName"/> otherwise) and calls <paramref name="visit"/>(state, symbol, bits, delta) for every
    /// state the frequencies cover. States beyond the sum are left to the caller's zeroed default.
    /// </summary>
    public static void Spread(ReadOnlySpan<ushort> frequencies, int stateCount, long blockOffset, string tableName, StateVisitor visit)
    {
        int total = 0;
        foreach (ushort f in frequencies)
            total += f;
        if (total > stateCount)
            throw LzfseError.InBlock(blockOffset, $"{tableName} frequencies sum to {total}, more than the table's {stateCount} states");

        int state = 0;
        int stateCountZeros = BitOperations.LeadingZeroCount((uint)stateCount);
        for (int symbol = 0; symbol < frequencies.Length; symbol++)
        {
            int f = frequencies[symbol];
            if (f == 0)
                continue;
            int k = BitOperations.LeadingZeroCount((uint)f) - stateCountZeros;
            int wide = ((2 * stateCount) >> k) - f;
            for (int j = 0; j < f; j++, state++)
            {
                if (j < wide)
                    visit(state, symbol, k, ((f + j) << k) - stateCount);
                else
                    visit(state, symbol, k - 1, (j - wide) << (k - 1));
            }
        }
    }

    /// <summary>Receives one state's symbol, bit count and next-state base.</summary>
    public delegate void StateVisitor(int state, int symbol, int bits, int delta);
}
