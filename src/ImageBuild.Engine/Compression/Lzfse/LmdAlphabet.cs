namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// How an L, M or D symbol maps to a value: each symbol stands for a base value plus a number of raw extra bits read
/// from the stream. The extra-bit counts are the format's; each base is the previous base plus the range the previous
/// symbol covers, so the symbols tile the value range without gaps.
/// </summary>
internal sealed class LmdAlphabet
{
    /// <summary>Literal lengths: 16 exact values 0..15, then ranges of 4, 8, 32 and 256 values.</summary>
    public static readonly LmdAlphabet Literal = new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 5, 8]);

    /// <summary>Match lengths: 16 exact values 0..15, then ranges of 8, 32, 256 and 2048 values.</summary>
    public static readonly LmdAlphabet Match = new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 5, 8, 11]);

    /// <summary>Match distances: four symbols per extra-bit count 0..15 (value 0 means "the previous distance").</summary>
    public static readonly LmdAlphabet Distance = new(Enumerable.Range(0, LzfseLimits.DSymbols).Select(i => (byte)(i / 4)).ToArray());

    private LmdAlphabet(byte[] extraBits)
    {
        ExtraBits = extraBits;
        BaseValues = new int[extraBits.Length];
        for (int i = 1; i < extraBits.Length; i++)
            BaseValues[i] = BaseValues[i - 1] + (1 << extraBits[i - 1]);
    }

    /// <summary>Raw bits that follow each symbol's state bits.</summary>
    public byte[] ExtraBits { get; }

    /// <summary>Smallest value each symbol stands for.</summary>
    public int[] BaseValues { get; }
}
