using System.Buffers.Binary;

namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// The header of an LZFSE-coded block (bvx1 or bvx2) in its unpacked form: sizes of the two payloads, the counts they
/// decode to, the encoder's final states (the decoder's initial ones) and the four normalised frequency tables.
/// </summary>
internal sealed class LzfseBlockHeader
{
    /// <summary>Bytes the block decodes to.</summary>
    public uint RawBytes { get; private set; }

    /// <summary>Bytes of header before the literal payload.</summary>
    public int HeaderSize { get; private set; }

    /// <summary>Literal bytes coded in the literal payload (padded by the encoder to a multiple of four).</summary>
    public uint Literals { get; private set; }

    /// <summary>L, M, D triplets coded in the LMD payload.</summary>
    public uint Matches { get; private set; }

    /// <summary>Bytes of the literal payload.</summary>
    public uint LiteralPayloadBytes { get; private set; }

    /// <summary>Bytes of the LMD payload, which follows the literal payload.</summary>
    public uint LmdPayloadBytes { get; private set; }

    /// <summary>Unused-bit count (-7..0) of the literal stream's last byte.</summary>
    public int LiteralBits { get; private set; }

    /// <summary>Unused-bit count (-7..0) of the LMD stream's last byte.</summary>
    public int LmdBits { get; private set; }

    /// <summary>Initial states of the four interleaved literal decoders.</summary>
    public int[] LiteralStates { get; } = new int[4];

    /// <summary>Initial L decoder state.</summary>
    public int LState { get; private set; }

    /// <summary>Initial M decoder state.</summary>
    public int MState { get; private set; }

    /// <summary>Initial D decoder state.</summary>
    public int DState { get; private set; }

    /// <summary>All frequencies in header order: L (20), M (20), D (64), literal (256).</summary>
    public ushort[] Frequencies { get; } = new ushort[LzfseLimits.FrequencyCount];

    /// <summary>The L frequencies.</summary>
    public ReadOnlySpan<ushort> LFrequencies => Frequencies.AsSpan(0, LzfseLimits.LSymbols);

    /// <summary>The M frequencies.</summary>
    public ReadOnlySpan<ushort> MFrequencies => Frequencies.AsSpan(LzfseLimits.LSymbols, LzfseLimits.MSymbols);

    /// <summary>The D frequencies.</summary>
    public ReadOnlySpan<ushort> DFrequencies => Frequencies.AsSpan(LzfseLimits.LSymbols + LzfseLimits.MSymbols, LzfseLimits.DSymbols);

    /// <summary>The literal frequencies.</summary>
    public ReadOnlySpan<ushort> LiteralFrequencies =>
        Frequencies.AsSpan(LzfseLimits.LSymbols + LzfseLimits.MSymbols + LzfseLimits.DSymbols, LzfseLimits.LiteralSymbols);

    /// <summary>Total encoded size of the block: header and both payloads.</summary>
    public long BlockSize => (long)HeaderSize + LiteralPayloadBytes + LmdPayloadBytes;

    /// <summary>
    /// Reads a bvx1 header (all fields little-endian, frequency tables as plain u16 arrays) from
    /// <paramref name="block"/>, which starts at the magic.
    /// </summary>
    public void ReadV1(ReadOnlySpan<byte> block, long blockOffset)
    {
        if (block.Length < LzfseLimits.V1HeaderSize)
            throw LzfseError.InBlock(blockOffset, $"bvx1 header needs {LzfseLimits.V1HeaderSize} bytes, {block.Length} remain");
        HeaderSize = LzfseLimits.V1HeaderSize;
        RawBytes = U32(block, 4);
        Literals = U32(block, 12);
        Matches = U32(block, 16);
        LiteralPayloadBytes = U32(block, 20);
        LmdPayloadBytes = U32(block, 24);
        LiteralBits = BinaryPrimitives.ReadInt32LittleEndian(block[28..]);
        for (int i = 0; i < 4; i++)
            LiteralStates[i] = BinaryPrimitives.ReadUInt16LittleEndian(block[(32 + 2 * i)..]);
        LmdBits = BinaryPrimitives.ReadInt32LittleEndian(block[40..]);
        LState = BinaryPrimitives.ReadUInt16LittleEndian(block[44..]);
        MState = BinaryPrimitives.ReadUInt16LittleEndian(block[46..]);
        DState = BinaryPrimitives.ReadUInt16LittleEndian(block[48..]);
        for (int i = 0; i < Frequencies.Length; i++)
            Frequencies[i] = BinaryPrimitives.ReadUInt16LittleEndian(block[(50 + 2 * i)..]);
        Validate(blockOffset);
    }

    /// <summary>
    /// Reads a bvx2 header: three packed u64 fields then the frequency tables in a variable-length code, ending
    /// exactly at the header size the third field gives.
    /// </summary>
    public void ReadV2(ReadOnlySpan<byte> block, long blockOffset)
    {
        if (block.Length < LzfseLimits.V2FixedHeaderSize)
            throw LzfseError.InBlock(blockOffset, $"bvx2 header needs {LzfseLimits.V2FixedHeaderSize} bytes, {block.Length} remain");
        RawBytes = U32(block, 4);
        ulong v0 = BinaryPrimitives.ReadUInt64LittleEndian(block[8..]);
        ulong v1 = BinaryPrimitives.ReadUInt64LittleEndian(block[16..]);
        ulong v2 = BinaryPrimitives.ReadUInt64LittleEndian(block[24..]);
        Literals = Field(v0, 0, 20);
        LiteralPayloadBytes = Field(v0, 20, 20);
        Matches = Field(v0, 40, 20);
        LiteralBits = (int)Field(v0, 60, 3) - 7;
        for (int i = 0; i < 4; i++)
            LiteralStates[i] = (int)Field(v1, 10 * i, 10);
        LmdPayloadBytes = Field(v1, 40, 20);
        LmdBits = (int)Field(v1, 60, 3) - 7;
        uint headerSize = Field(v2, 0, 32);
        LState = (int)Field(v2, 32, 10);
        MState = (int)Field(v2, 42, 10);
        DState = (int)Field(v2, 52, 10);
        if (headerSize < LzfseLimits.V2FixedHeaderSize || headerSize > block.Length)
            throw LzfseError.InBlock(blockOffset, $"bvx2 header size {headerSize} is outside 32..{block.Length} (the bytes that remain)");
        HeaderSize = (int)headerSize;
        Array.Clear(Frequencies);
        if (headerSize > LzfseLimits.V2FixedHeaderSize)
            LzfseFrequencyCode.Decode(block[LzfseLimits.V2FixedHeaderSize..HeaderSize], Frequencies, blockOffset);
        Validate(blockOffset);
    }

    private void Validate(long blockOffset)
    {
        if (Literals > LzfseLimits.LiteralsPerBlock)
            throw LzfseError.InBlock(blockOffset, $"literal count {Literals} exceeds the block's limit of {LzfseLimits.LiteralsPerBlock}");
        if (Matches > LzfseLimits.MatchesPerBlock)
            throw LzfseError.InBlock(blockOffset, $"match count {Matches} exceeds the block's limit of {LzfseLimits.MatchesPerBlock}");
        if (LiteralBits is < -7 or > 0 || LmdBits is < -7 or > 0)
            throw LzfseError.InBlock(blockOffset, $"final bit counts ({LiteralBits}, {LmdBits}) are outside -7..0");
        foreach (int s in LiteralStates)
            if (s >= LzfseLimits.LiteralStates)
                throw LzfseError.InBlock(blockOffset, $"literal state {s} is not below {LzfseLimits.LiteralStates}");
        if (LState >= LzfseLimits.LStates || MState >= LzfseLimits.MStates || DState >= LzfseLimits.DStates)
            throw LzfseError.InBlock(blockOffset, $"initial L/M/D states {LState}/{MState}/{DState} are not below {LzfseLimits.LStates}/{LzfseLimits.MStates}/{LzfseLimits.DStates}");
    }

    private static uint U32(ReadOnlySpan<byte> block, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(block[offset..]);

    private static uint Field(ulong value, int offset, int bits) => (uint)((value >> offset) & ((1UL << bits) - 1));
}
