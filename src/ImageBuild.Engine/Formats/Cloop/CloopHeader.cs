using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>
/// The cloop V2.0 header after the 128-byte shell preamble: big-endian u32 block size (uncompressed bytes per
/// block) and u32 block count, checked as qemu's cloop_open checks them, in its order and with its messages.
/// </summary>
public sealed class CloopHeader
{
    /// <summary>File offset of the block size field.</summary>
    public const int Offset = 128;

    /// <summary>File offset of the offsets table (after block size and block count).</summary>
    public const long OffsetsTableOffset = Offset + 8;

    /// <summary>qemu's MAX_BLOCK_SIZE: the largest uncompressed block it will buffer (64 MiB).</summary>
    public const uint MaxBlockSize = 64 * 1024 * 1024;

    /// <summary>The most blocks whose (n + 1) offsets still fit in a 32-bit byte count.</summary>
    public const uint MaxBlocks = (uint.MaxValue - 1) / 8;

    /// <summary>The largest offsets table qemu reads (512 MiB: 16 TB of image at 256 KiB blocks).</summary>
    public const long MaxOffsetsTableBytes = 512L * 1024 * 1024;

    public uint BlockSize { get; private init; }

    public uint BlockCount { get; private init; }

    /// <summary>Bytes of the offsets table: one u64 per block plus the end of the last block.</summary>
    public long OffsetsTableBytes => ((long)BlockCount + 1) * 8;

    /// <summary>Reads and checks the header (a short file reads as zeros past its end, as through qemu's file protocol).</summary>
    public static CloopHeader Read(HostFile file)
    {
        Span<byte> b = stackalloc byte[8];
        file.Read(Offset, b);
        uint blockSize = BinaryPrimitives.ReadUInt32BigEndian(b);
        if (blockSize % 512 != 0)
            throw new ImageException($"block_size {blockSize} must be a multiple of 512");
        if (blockSize == 0)
            throw new ImageException("block_size cannot be zero");
        if (blockSize > MaxBlockSize)
            throw new ImageException($"block_size {blockSize} must be {MaxBlockSize / (1024 * 1024)} MB or less");
        uint blocks = BinaryPrimitives.ReadUInt32BigEndian(b[4..]);
        if (blocks > MaxBlocks)
            throw new ImageException($"n_blocks {blocks} must be {MaxBlocks} or less");
        var header = new CloopHeader { BlockSize = blockSize, BlockCount = blocks };
        if (header.OffsetsTableBytes > MaxOffsetsTableBytes)
            throw new ImageException("image requires too many offsets, try increasing block size");
        return header;
    }
}
