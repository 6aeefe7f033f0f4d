using System.Buffers.Binary;
using ImageBuild.Engine.Compression.Lzfse;

namespace ImageBuild.Engine.Tests.Compression.Lzfse;

/// <summary>
/// Test-side writers of LZFSE block headers from the fields of a parsed header: the packed bvx2 form (with the
/// frequency tables in their variable-length code, written from the format's description) and the plain bvx1 form.
/// They let tests re-encode a real header (and compare bytes), turn a bvx2 block into a bvx1 one, and change one
/// field at a time.
/// </summary>
internal static class LzfseHeaders
{
    /// <summary>Walks a stream's blocks: (magic as text, offset, total size), ending with bvx$.</summary>
    public static List<(string Kind, int Offset, int Size)> Blocks(byte[] stream)
    {
        var blocks = new List<(string, int, int)>();
        int s = 0;
        while (true)
        {
            string kind = System.Text.Encoding.ASCII.GetString(stream, s, 4);
            uint u(int at) => BinaryPrimitives.ReadUInt32LittleEndian(stream.AsSpan(s + at));
            int size = kind switch
            {
                "bvx$" => 4,
                "bvx-" => 8 + (int)u(4),
                "bvxn" => 12 + (int)u(8),
                "bvx1" => 772 + (int)u(20) + (int)u(24),
                "bvx2" => (int)Read(stream.AsSpan(s)).BlockSize,
                _ => throw new InvalidDataException($"test walker: unknown block {kind} at {s}"),
            };
            blocks.Add((kind, s, size));
            if (kind == "bvx$")
                return blocks;
            s += size;
        }
    }

    /// <summary>Parses a bvx2 header with the decoder's own reader (its correctness is what the round trip checks).</summary>
    public static LzfseBlockHeader Read(ReadOnlySpan<byte> block)
    {
        var h = new LzfseBlockHeader();
        h.ReadV2(block, 0);
        return h;
    }

    /// <summary>A bvx2 header for these fields and frequencies.</summary>
    public static byte[] V2(uint rawBytes, uint literals, uint literalPayload, uint matches, int literalBits, int[] literalStates,
        uint lmdPayload, int lmdBits, int lState, int mState, int dState, ReadOnlySpan<ushort> frequencies, uint? headerSizeOverride = null)
    {
        byte[] code = FrequencyCode(frequencies);
        uint headerSize = headerSizeOverride ?? (uint)(32 + code.Length);
        var header = new byte[32 + code.Length];
        "bvx2"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), rawBytes);
        ulong v0 = literals | (ulong)literalPayload << 20 | (ulong)matches << 40 | (ulong)(uint)(literalBits + 7) << 60;
        ulong v1 = (uint)literalStates[0] | (ulong)(uint)literalStates[1] << 10 | (ulong)(uint)literalStates[2] << 20 | (ulong)(uint)literalStates[3] << 30
            | (ulong)lmdPayload << 40 | (ulong)(uint)(lmdBits + 7) << 60;
        ulong v2 = headerSize | (ulong)(uint)lState << 32 | (ulong)(uint)mState << 42 | (ulong)(uint)dState << 52;
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), v0);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), v1);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), v2);
        code.CopyTo(header, 32);
        return header;
    }

    /// <summary>The bvx2 header of a parsed header, unchanged.</summary>
    public static byte[] V2(LzfseBlockHeader h) => V2(h.RawBytes, h.Literals, h.LiteralPayloadBytes, h.Matches, h.LiteralBits,
        h.LiteralStates, h.LmdPayloadBytes, h.LmdBits, h.LState, h.MState, h.DState, h.Frequencies);

    /// <summary>The bvx1 (772-byte, plain tables) header of a parsed header.</summary>
    public static byte[] V1(LzfseBlockHeader h)
    {
        var header = new byte[772];
        "bvx1"u8.CopyTo(header);
        uint[] words = [h.RawBytes, h.LiteralPayloadBytes + h.LmdPayloadBytes, h.Literals, h.Matches, h.LiteralPayloadBytes, h.LmdPayloadBytes];
        for (int i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4 + 4 * i), words[i]);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(28), h.LiteralBits);
        for (int i = 0; i < 4; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(32 + 2 * i), (ushort)h.LiteralStates[i]);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(40), h.LmdBits);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(44), (ushort)h.LState);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(46), (ushort)h.MState);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(48), (ushort)h.DState);
        for (int i = 0; i < h.Frequencies.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(50 + 2 * i), h.Frequencies[i]);
        return header;
    }

    /// <summary>
    /// The frequency code, least significant bit first: 0-1 in 2 bits (suffix 0), 2-3 in 3 bits (suffix 01), 4-7 in
    /// 5 bits (suffix 011), 8-23 in 8 bits (suffix 0111), 24-1047 in 14 bits (suffix 1111).
    /// </summary>
    public static byte[] FrequencyCode(ReadOnlySpan<ushort> frequencies)
    {
        var bytes = new List<byte>();
        ulong accumulator = 0;
        int bits = 0;
        foreach (ushort v in frequencies)
        {
            (ulong code, int length) = v switch
            {
                < 2 => ((ulong)v << 1, 2),
                < 4 => ((ulong)(v - 2) << 2 | 1, 3),
                < 8 => ((ulong)(v - 4) << 3 | 3, 5),
                < 24 => ((ulong)(v - 8) << 4 | 7, 8),
                _ => ((ulong)(v - 24) << 4 | 15, 14),
            };
            accumulator |= code << bits;
            bits += length;
            while (bits >= 8)
            {
                bytes.Add((byte)accumulator);
                accumulator >>= 8;
                bits -= 8;
            }
        }
        if (bits > 0)
            bytes.Add((byte)accumulator);
        return [.. bytes];
    }
}
