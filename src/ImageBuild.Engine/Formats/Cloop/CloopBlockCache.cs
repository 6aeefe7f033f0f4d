namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>
/// The one uncompressed block qemu keeps (its current_block), for requests that cover part of a block: held in
/// pinned pages of at most 1 MiB so that a 64 MiB block never needs one large array, allocated on first use.
/// </summary>
internal sealed class CloopBlockCache
{
    private const int PageSize = 1 << 20;

    private readonly int _blockSize;
    private byte[][]? _pages;
    private (nint Pointer, int Length)[]? _segments;
    private long _current = -1;

    public CloopBlockCache(int blockSize) => _blockSize = blockSize;

    /// <summary>Copies bytes [inBlock, inBlock + dest.Length) of block <paramref name="block"/>, inflating it with <paramref name="reader"/> unless current.</summary>
    public void CopyOut(CloopBlockReader reader, long block, int inBlock, Span<byte> dest)
    {
        if (block != _current)
        {
            _current = -1; // a failed block leaves no block current
            reader.Inflate(block, Segments());
            _current = block;
        }
        while (!dest.IsEmpty)
        {
            int page = inBlock / PageSize, inPage = inBlock % PageSize;
            int n = Math.Min(dest.Length, _pages![page].Length - inPage);
            _pages[page].AsSpan(inPage, n).CopyTo(dest);
            dest = dest[n..];
            inBlock += n;
        }
    }

    private unsafe (nint, int)[] Segments()
    {
        if (_segments is not null) return _segments;
        _pages = new byte[(_blockSize + PageSize - 1) / PageSize][];
        _segments = new (nint, int)[_pages.Length];
        for (int i = 0; i < _pages.Length; i++)
        {
            _pages[i] = GC.AllocateUninitializedArray<byte>(Math.Min(PageSize, _blockSize - i * PageSize), pinned: true);
            fixed (byte* p = _pages[i]) // pinned: the address stays valid
                _segments[i] = ((nint)p, _pages[i].Length);
        }
        return _segments;
    }
}
