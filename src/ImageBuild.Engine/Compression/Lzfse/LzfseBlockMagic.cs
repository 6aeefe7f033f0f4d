namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// The little-endian 32-bit magics that start every block of an LZFSE stream ("bvx" followed by a kind letter).
/// </summary>
internal static class LzfseBlockMagic
{
    /// <summary>'bvx$': end of stream; nothing follows.</summary>
    public const uint EndOfStream = 0x24787662;

    /// <summary>'bvx-': stored block, u32 n_raw_bytes then the bytes themselves.</summary>
    public const uint Uncompressed = 0x2d787662;

    /// <summary>'bvx1': LZFSE block whose header holds its frequency tables as plain u16 arrays.</summary>
    public const uint LzfseV1 = 0x31787662;

    /// <summary>'bvx2': LZFSE block with bit-packed header fields and variable-length coded frequency tables.</summary>
    public const uint LzfseV2 = 0x32787662;

    /// <summary>'bvxn': LZVN block, u32 n_raw_bytes and u32 n_payload_bytes then the LZVN opcodes.</summary>
    public const uint Lzvn = 0x6e787662;
}
