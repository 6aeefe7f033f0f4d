using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>
/// Inflates whole cloop blocks (qemu's cloop_read_block without its cache): the compressed bytes are streamed from
/// the file through a pinned input buffer of at most 1 MiB into output the caller gives as pinned segments (one
/// span of the caller's buffer, or the pages of <see cref="CloopBlockCache"/>). One reader per thread: blocks of one
/// request are inflated in parallel, each by its own reader.
/// </summary>
internal sealed unsafe class CloopBlockReader : IDisposable
{
    private const int InputChunk = 1 << 20;

    private readonly HostFile _file;
    private readonly string _filename;
    private readonly CloopOffsets _offsets;
    private readonly int _blockSize;
    private readonly byte[] _input;
    private readonly CloopInflater _inflater = new();

    public CloopBlockReader(HostFile file, string filename, CloopOffsets offsets, int blockSize)
    {
        _file = file;
        _filename = filename;
        _offsets = offsets;
        _blockSize = blockSize;
        _input = GC.AllocateUninitializedArray<byte>((int)Math.Min(InputChunk, offsets.LargestBlock), pinned: true);
    }

    /// <summary>
    /// Inflates block <paramref name="block"/> into <paramref name="output"/> (pinned segments totalling one block);
    /// throws, naming the file and the block's offsets, unless exactly one block came out of a complete zlib stream.
    /// </summary>
    public void Inflate(long block, ReadOnlySpan<(nint Pointer, int Length)> output)
    {
        ulong start = _offsets[block], end = _offsets[block + 1];
        if (end > long.MaxValue)
            throw Corrupt(block, start, end, "lies past the largest file offset");
        if (!Inflate((long)start, (long)(end - start), output))
            throw Corrupt(block, start, end, $"does not inflate to exactly {_blockSize} bytes");
    }

    private ImageCorruptException Corrupt(long block, ulong start, ulong end, string what) =>
        new($"'{_filename}': compressed block {block} at offsets {start}..{end} {what}: Input/output error") { Errno = ClusterCompressor.Eio };

    private bool Inflate(long offset, long length, ReadOnlySpan<(nint Pointer, int Length)> output)
    {
        _inflater.Reset();
        _inflater.SetInput(null, 0); // inflateReset keeps what a failed block left unconsumed
        int segment = 0;
        _inflater.SetOutput((byte*)output[0].Pointer, (uint)output[0].Length);
        long remaining = length;
        while (true)
        {
            if (_inflater.AvailIn == 0 && remaining > 0)
            {
                int n = (int)Math.Min(remaining, _input.Length);
                _file.Read(offset, _input.AsSpan(0, n)); // past the end of the file: zeros, as qemu reads them
                fixed (byte* input = _input) // a pinned array: the pointer stays valid after the fixed block
                    _inflater.SetInput(input, (uint)n);
                offset += n;
                remaining -= n;
            }
            if (_inflater.AvailOut == 0 && segment + 1 < output.Length)
            {
                segment++;
                _inflater.SetOutput((byte*)output[segment].Pointer, (uint)output[segment].Length);
            }
            int rc = _inflater.Step(finish: remaining == 0);
            if (rc == ZlibLibrary.ZStreamEnd)
                return _inflater.TotalOut == (ulong)_blockSize;
            if (rc == ZlibLibrary.ZOk)
                continue;
            if (rc != ZlibLibrary.ZBufError)
                return false; // data error
            bool moreInput = _inflater.AvailIn == 0 && remaining > 0;
            bool moreOutput = _inflater.AvailOut == 0 && segment + 1 < output.Length;
            if (!moreInput && !moreOutput)
                return false; // input used up before the stream ended, or output beyond one block
        }
    }

    public void Dispose() => _inflater.Dispose();
}
