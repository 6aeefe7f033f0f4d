namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// Decodes one bvx1 or bvx2 block: reads and checks the header, decodes the literal payload, then executes the L/M/D
/// payload against it. Holds the fixed-size tables and literal buffer, reused across a stream's blocks.
/// </summary>
internal sealed class LzfseBlockDecoder
{
    private readonly LzfseBlockHeader _header = new();
    private readonly FseLiteralTable _literalTable = new();
    private readonly LzfseMatchDecoder _matches = new();
    private readonly byte[] _literals = new byte[LzfseLimits.LiteralsPerBlock];

    /// <summary>Decodes the block at <paramref name="s"/>; returns where the next block starts and the new output position.</summary>
    public (int Source, int Position) Decode(ReadOnlySpan<byte> source, int s, bool packedHeader, Span<byte> destination, int position)
    {
        ReadOnlySpan<byte> block = source[s..];
        if (packedHeader)
            _header.ReadV2(block, s);
        else
            _header.ReadV1(block, s);
        if (_header.BlockSize > block.Length)
            throw LzfseError.InBlock(s, $"block of {_header.BlockSize} bytes passes the source's end ({block.Length} bytes remain)");
        int end = LzfseDecoder.BlockEnd(_header.RawBytes, position, destination.Length, s);
        if (_header.Literals > 0 && Sum(_header.LiteralFrequencies) == 0)
            throw LzfseError.InBlock(s, $"{_header.Literals} literals but an empty literal frequency table");
        if (_header.Matches > 0 && (Sum(_header.LFrequencies) == 0 || Sum(_header.MFrequencies) == 0 || Sum(_header.DFrequencies) == 0))
            throw LzfseError.InBlock(s, $"{_header.Matches} matches but an empty L, M or D frequency table");

        _literalTable.Build(_header.LiteralFrequencies, s);
        _matches.Build(_header, s);
        int literalStart = _header.HeaderSize;
        int lmdStart = literalStart + (int)_header.LiteralPayloadBytes;
        LzfseLiteralDecoder.Decode(_header, _literalTable, block[literalStart..lmdStart], _literals, s);
        int next = lmdStart + (int)_header.LmdPayloadBytes;
        position = _matches.Execute(_header, block[lmdStart..next], _literals, destination, position, end, s);
        return (s + next, position);
    }

    private static int Sum(ReadOnlySpan<ushort> frequencies)
    {
        int total = 0;
        foreach (ushort f in frequencies)
            total += f;
        return total;
    }
}
