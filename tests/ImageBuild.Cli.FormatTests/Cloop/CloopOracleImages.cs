using System.Buffers.Binary;
using System.IO.Compression;

namespace ImageBuild.Cli.FormatTests.Cloop;

/// <summary>
/// Hand-made cloop V2.0 images for the cases create_compressed_fs never writes: the preamble, block size, block
/// count and offsets table, then the given block streams one after the other.
/// </summary>
internal static class CloopOracleImages
{
    private static ReadOnlySpan<byte> Preamble => "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n"u8;

    /// <summary>Writes an image of <paramref name="blockSize"/>-byte blocks whose compressed streams are <paramref name="blocks"/>.</summary>
    public static void Write(string path, int blockSize, params byte[][] blocks)
    {
        var header = new byte[136 + (blocks.Length + 1) * 8];
        Preamble.CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(128), (uint)blockSize);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(132), (uint)blocks.Length);
        ulong offset = (ulong)header.Length;
        for (int i = 0; i <= blocks.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(136 + i * 8), offset);
            if (i < blocks.Length) offset += (ulong)blocks[i].Length;
        }
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        fs.Write(header);
        foreach (var b in blocks) fs.Write(b);
    }

    /// <summary>A zlib stream (header, deflate data, Adler-32) of <paramref name="data"/>.</summary>
    public static byte[] Zlib(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }
}
