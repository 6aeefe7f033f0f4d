using System.Buffers.Binary;
using System.IO.Hashing;

namespace ImageBuild.Recipes.Cache;

/// <summary>
/// The content hash of <see cref="ContentHasher"/>, computed incrementally from the bytes of a file as they go by
/// (read for a push, written by a pull): <see cref="Append"/> takes data at increasing offsets, cut anywhere; bytes
/// never given are zeros (holes); <see cref="Finish"/> takes the file's length and gives the same "xxh128:" string
/// as <see cref="ContentHasher.HashFile(string)"/>. The file is cut into 4 KiB blocks; every block holding a
/// non-zero byte contributes its index (64-bit little-endian) and its bytes (the last block only up to the end of
/// the file), and the length closes the hash. A block split between two calls is held in a 4 KiB buffer.
/// Optionally collects the runs of non-zero blocks (<see cref="Extents"/>), up to a bound.
/// </summary>
public sealed class ContentHashBuilder
{
    public const int BlockSize = 4096;

    private readonly XxHash128 _hash = new();
    private readonly byte[] _pending = new byte[BlockSize];
    private readonly int _maxExtents;
    private ExtentList? _extents;
    private long _pendingBlock = -1; // index of the block held in _pending, or -1
    private long _position;          // the offset just past the data given so far
    private bool _finished;

    /// <summary>A builder that only hashes.</summary>
    public ContentHashBuilder() : this(0)
    {
    }

    /// <param name="maxExtents">
    /// When positive, the non-zero block runs are collected up to this many; a file with more has none
    /// (<see cref="Extents"/> null), so that memory stays bounded (16 bytes a run).
    /// </param>
    public ContentHashBuilder(int maxExtents)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxExtents);
        _maxExtents = maxExtents;
        _extents = maxExtents > 0 ? new ExtentList() : null;
    }

    /// <summary>Bytes given to <see cref="Append"/> so far.</summary>
    public long DataBytes { get; private set; }

    /// <summary>
    /// The runs of non-zero blocks, complete once <see cref="Finish"/> has run; null when not collected or when
    /// there were more than the bound.
    /// </summary>
    public ExtentList? Extents => _extents;

    /// <summary>Adds <paramref name="data"/>, the file's bytes at <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">offset is before the end of data already given.</exception>
    /// <exception cref="InvalidOperationException">The hash is finished.</exception>
    public void Append(long offset, ReadOnlySpan<byte> data)
    {
        if (_finished) throw new InvalidOperationException("the hash is finished");
        ArgumentOutOfRangeException.ThrowIfLessThan(offset, _position);
        DataBytes += data.Length;
        while (!data.IsEmpty)
        {
            long block = offset / BlockSize;
            int within = (int)(offset % BlockSize);
            if (_pendingBlock >= 0 && _pendingBlock != block) FlushPending(BlockSize);
            if (within == 0 && _pendingBlock < 0 && data.Length >= BlockSize)
            {
                int whole = data.Length / BlockSize * BlockSize;
                for (int b = 0; b < whole; b += BlockSize)
                    AddBlock(block + b / BlockSize, data.Slice(b, BlockSize));
                offset += whole;
                data = data[whole..];
                continue;
            }
            if (_pendingBlock < 0)
            {
                Array.Clear(_pending);
                _pendingBlock = block;
            }
            int n = Math.Min(BlockSize - within, data.Length);
            data[..n].CopyTo(_pending.AsSpan(within));
            offset += n;
            data = data[n..];
            if (within + n == BlockSize) FlushPending(BlockSize);
        }
        _position = offset;
    }

    /// <summary>Ends the hash with the file's length (at least the end of the data given) and returns it.</summary>
    public string Finish(long length)
    {
        if (_finished) throw new InvalidOperationException("the hash is finished");
        ArgumentOutOfRangeException.ThrowIfLessThan(length, _position);
        _finished = true;
        if (_pendingBlock >= 0) FlushPending((int)Math.Min(BlockSize, length - _pendingBlock * BlockSize));
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(number, length);
        _hash.Append(number);
        return ContentHasher.Prefix + Convert.ToHexStringLower(_hash.GetCurrentHash());
    }

    private void FlushPending(int size)
    {
        long block = _pendingBlock;
        _pendingBlock = -1;
        AddBlock(block, _pending.AsSpan(0, size));
    }

    private void AddBlock(long index, ReadOnlySpan<byte> block)
    {
        if (!block.ContainsAnyExcept((byte)0)) return;
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(number, index);
        _hash.Append(number);
        _hash.Append(block);
        if (_extents is null) return;
        long offset = index * BlockSize;
        if (_extents.Count >= _maxExtents && _extents.StartsNewRun(offset))
        {
            _extents = null; // too fragmented to keep: whoever needs the map finds it again
            return;
        }
        _extents.AddRun(offset, block.Length);
    }
}
