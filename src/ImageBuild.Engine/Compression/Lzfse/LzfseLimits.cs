namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// The fixed dimensions of LZFSE: alphabet sizes and FSE state counts of the four entropy-coded streams, and the
/// per-block limits an encoder respects (the decoder rejects headers that exceed them before decoding anything).
/// </summary>
internal static class LzfseLimits
{
    /// <summary>Symbols of the literal-length (L) alphabet.</summary>
    public const int LSymbols = 20;

    /// <summary>Symbols of the match-length (M) alphabet.</summary>
    public const int MSymbols = 20;

    /// <summary>Symbols of the match-distance (D) alphabet.</summary>
    public const int DSymbols = 64;

    /// <summary>Symbols of the literal-byte alphabet.</summary>
    public const int LiteralSymbols = 256;

    /// <summary>FSE states of the L stream.</summary>
    public const int LStates = 64;

    /// <summary>FSE states of the M stream.</summary>
    public const int MStates = 64;

    /// <summary>FSE states of the D stream.</summary>
    public const int DStates = 256;

    /// <summary>FSE states of each of the four interleaved literal streams.</summary>
    public const int LiteralStates = 1024;

    /// <summary>Most matches (L, M, D triplets) one block may hold.</summary>
    public const int MatchesPerBlock = 10000;

    /// <summary>Most literal bytes one block may hold (a multiple of four: literals are decoded four at a time).</summary>
    public const int LiteralsPerBlock = 4 * MatchesPerBlock;

    /// <summary>Size of the fixed part of a bvx2 header (magic, n_raw_bytes, three packed u64 fields).</summary>
    public const int V2FixedHeaderSize = 32;

    /// <summary>Size of a bvx1 header as the C structure lays it out (770 bytes of fields padded to a multiple of 4).</summary>
    public const int V1HeaderSize = 772;

    /// <summary>Number of frequency values every LZFSE header carries: L, M, D then literal tables.</summary>
    public const int FrequencyCount = LSymbols + MSymbols + DSymbols + LiteralSymbols;
}
