using System.Collections.Concurrent;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>
/// An opened cloop V2.0 image (qemu's block/cloop.c): n_blocks blocks of block_size bytes, each a zlib stream
/// between two entries of the offsets table. The virtual size is n_blocks * block_size; the last block is a whole
/// block like the others. Read-only, like qemu's driver; a block that does not inflate to exactly one block fails
/// the read with an I/O error. Parts of blocks go through qemu's one-block cache; the whole blocks of a larger
/// request are inflated straight into the caller's buffer, in parallel (qemu inflates one block at a time).
/// </summary>
public sealed class CloopDevice : ReadOnlyImageDevice
{
    private readonly CloopOffsets _offsets;
    private readonly CloopBlockCache _cache;
    private readonly ConcurrentBag<CloopBlockReader> _readers = [];
    private readonly int _blockSize;
    private readonly long _virtualSize;

    internal CloopDevice(OpenRequest request) : base(request)
    {
        var header = CloopHeader.Read(File);
        _offsets = CloopOffsets.Read(File, request.Filename, header);
        _blockSize = (int)header.BlockSize;
        _virtualSize = (long)header.BlockCount * header.BlockSize;
        _cache = new CloopBlockCache(_blockSize);
    }

    public override string FormatName => "cloop";

    public override long VirtualSize => _virtualSize;

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        while (!dest.IsEmpty)
        {
            long block = offset / _blockSize;
            int inBlock = (int)(offset % _blockSize);
            int wholeBlocks = inBlock == 0 ? dest.Length / _blockSize : 0;
            if (wholeBlocks >= 2)
            {
                int n = wholeBlocks * _blockSize;
                InflateWholeBlocks(block, wholeBlocks, dest[..n]);
                dest = dest[n..];
                offset += n;
                continue;
            }
            int part = Math.Min(dest.Length, _blockSize - inBlock);
            var reader = Rent();
            try
            {
                _cache.CopyOut(reader, block, inBlock, dest[..part]);
            }
            finally
            {
                _readers.Add(reader);
            }
            dest = dest[part..];
            offset += part;
        }
    }

    /// <summary>Inflates <paramref name="count"/> blocks from <paramref name="first"/> into <paramref name="dest"/>; the lowest failing block's error wins.</summary>
    private unsafe void InflateWholeBlocks(long first, int count, Span<byte> dest)
    {
        var failures = new ImageException?[count];
        fixed (byte* pinned = dest)
        {
            nint origin = (nint)pinned; // a fixed local cannot be captured by the lambda
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                () => Rent(),
                (i, _, reader) =>
                {
                    try
                    {
                        reader.Inflate(first + i, [(origin + (nint)i * _blockSize, _blockSize)]);
                    }
                    catch (ImageException e)
                    {
                        failures[i] = e;
                    }
                    return reader;
                },
                reader => _readers.Add(reader));
        }
        foreach (var failure in failures)
            if (failure is not null) throw failure;
    }

    private CloopBlockReader Rent() =>
        _readers.TryTake(out var reader) ? reader : new CloopBlockReader(File, Filename, _offsets, _blockSize);

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        while (_readers.TryTake(out var reader)) reader.Dispose();
    }
}
