using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>
/// The one uncompressed block qemu keeps (its current_block), in pinned pages of at most 1 MiB so that a 64 MiB
/// block never needs one large array, plus a pinned input buffer of at most 1 MiB through which the compressed
/// block is streamed from the file. The buffers are allocated on the first read, not on open.
/// </summary>
internal sealed unsafe class CloopBlockCache : IDisposable
{
    private const int PageSize = 1 << 20;

    private readonly HostFile _file;
    private readonly string _filename;
    private readonly CloopOffsets _offsets;
    private readonly int _blockSize;
    private byte[][]? _pages;
    private byte[]? _input;
    private CloopInflater? _inflater;
    private long _current = -1;

    public CloopBlockCache(HostFile file, string filename, CloopOffsets offsets, uint blockSize)
    {
        _file = file;
        _filename = filename;
        _offsets = offsets;
        _blockSize = (int)blockSize;
    }

    /// <summary>Copies bytes [inBlock, inBlock + dest.Length) of uncompressed block <paramref name="block"/>.</summary>
    public void CopyOut(long block, int inBlock, Span<byte> dest)
    {
        Load(block);
        while (!dest.IsEmpty)
        {
            int page = inBlock / PageSize, inPage = inBlock % PageSize;
            int n = Math.Min(dest.Length, _pages![page].Length - inPage);
            _pages[page].AsSpan(inPage, n).CopyTo(dest);
            dest = dest[n..];
            inBlock += n;
        }
    }

    /// <summary>Makes <paramref name="block"/> the current block (qemu's cloop_read_block).</summary>
    private void Load(long block)
    {
        if (block == _current) return;
        _current = -1; // a failed load leaves no block current
        ulong start = _offsets[block], end = _offsets[block + 1];
        if (end > long.MaxValue)
            throw Corrupt(block, start, end, "lies past the largest file offset");
        if (!Inflate((long)start, (long)(end - start)))
            throw Corrupt(block, start, end, $"does not inflate to exactly {_blockSize} bytes");
        _current = block;
    }

    private ImageCorruptException Corrupt(long block, ulong start, ulong end, string what) =>
        new($"'{_filename}': compressed block {block} at offsets {start}..{end} {what}: Input/output error") { Errno = ClusterCompressor.Eio };

    /// <summary>Streams the compressed bytes through zlib into the pages; true when exactly one block came out.</summary>
    private bool Inflate(long offset, long length)
    {
        _pages ??= AllocatePages();
        _input ??= GC.AllocateUninitializedArray<byte>((int)Math.Min(PageSize, (long)_offsets.LargestBlock), pinned: true);
        _inflater ??= new CloopInflater();
        _inflater.Reset();
        _inflater.SetInput(null, 0); // inflateReset keeps what a failed block left unconsumed
        int page = 0;
        fixed (byte* output = _pages[0])
            _inflater.SetOutput(output, (uint)_pages[0].Length); // pinned arrays: the pointer stays valid after the fixed block
        long remaining = length;
        while (true)
        {
            if (_inflater.AvailIn == 0 && remaining > 0)
            {
                int n = (int)Math.Min(remaining, _input.Length);
                _file.Read(offset, _input.AsSpan(0, n)); // past the end of the file: zeros, as qemu reads them
                fixed (byte* input = _input)
                    _inflater.SetInput(input, (uint)n);
                offset += n;
                remaining -= n;
            }
            if (_inflater.AvailOut == 0 && page + 1 < _pages.Length)
            {
                page++;
                fixed (byte* output = _pages[page])
                    _inflater.SetOutput(output, (uint)_pages[page].Length);
            }
            int rc = _inflater.Step(finish: remaining == 0);
            if (rc == ZlibLibrary.ZStreamEnd)
                return _inflater.TotalOut == (ulong)_blockSize;
            if (rc == ZlibLibrary.ZOk)
                continue;
            if (rc != ZlibLibrary.ZBufError)
                return false; // data error
            bool moreInput = _inflater.AvailIn == 0 && remaining > 0;
            bool moreOutput = _inflater.AvailOut == 0 && page + 1 < _pages.Length;
            if (!moreInput && !moreOutput)
                return false; // input used up before the stream ended, or output beyond one block
        }
    }

    private byte[][] AllocatePages()
    {
        var pages = new byte[(_blockSize + PageSize - 1) / PageSize][];
        for (int i = 0; i < pages.Length; i++)
            pages[i] = GC.AllocateUninitializedArray<byte>(Math.Min(PageSize, _blockSize - i * PageSize), pinned: true);
        return pages;
    }

    public void Dispose() => _inflater?.Dispose();
}
