using System.Buffers.Binary;

namespace ImageBuild.Engine.Tests.Compression.Lzfse;

/// <summary>Test-side builders of LZFSE streams from blocks.</summary>
public static class LzfseStreams
{
    /// <summary>The end-of-stream block, 'bvx$'.</summary>
    public static readonly byte[] End = "bvx$"u8.ToArray();

    /// <summary>A stored block: 'bvx-', raw size, the bytes.</summary>
    public static byte[] RawBlock(byte[] data)
    {
        var block = new byte[8 + data.Length];
        "bvx-"u8.CopyTo(block);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(4), data.Length);
        data.CopyTo(block, 8);
        return block;
    }

    /// <summary>The blocks one after the other, then 'bvx$'.</summary>
    public static byte[] Of(params byte[][] blocks) => [.. blocks.SelectMany(b => b), .. End];

    /// <summary>Deterministic filler bytes (a small LCG), so tests need no files.</summary>
    public static byte[] Bytes(int count, int seed)
    {
        var data = new byte[count];
        uint x = (uint)seed * 2654435761u + 1;
        for (int i = 0; i < count; i++)
        {
            x = x * 1103515245 + 12345;
            data[i] = (byte)(x >> 16);
        }
        return data;
    }
}
