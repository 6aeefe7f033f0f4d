using System.Buffers;
using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Vpc;

public sealed partial class VpcDevice
{
    /// <summary>The bitmap qemu last wrote all ones into (it rewrites a block's bitmap when a write moves to another block).</summary>
    private long _lastBitmapOffset = -1;

    /// <summary>New blocks of the write in progress: guest block and BAT value, in guest order.</summary>
    private readonly List<(long Block, uint Entry)> _pendingBlocks = [];

    /// <summary>
    /// Writes guest data. A fixed disk writes through to the file. A dynamic disk writes allocated blocks in place
    /// (qemu first sets the block's bitmap to all ones) and places new blocks where the footer was: each new block's
    /// data and bitmap are written, then the footer at the new end of the file, a flush, then their BAT entries. A
    /// crash in between leaves at worst a block no entry names (the next allocation reuses its place: the free offset
    /// comes from the BAT; the footer copy at 0 is the one read). A differencing disk sets only the written sectors' bits, so that the others keep
    /// reading from the parent.
    /// </summary>
    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        if (IsFixed)
        {
            // qemu writes through whatever the footer claims; a size past the data area would overwrite a footer
            if (offset < _fixedDataStart || offset + src.Length > _fixedDataEnd)
                throw new ImageCorruptException(
                    $"'{Filename}': a write at offset {offset} ({src.Length} bytes) would overwrite the fixed disk's footer (its size exceeds its data area)");
            _file.Write(offset, src);
            return;
        }
        if (_header is null)
            throw new ImageException($"Could not write to '{Filename}': the VHD has no block allocation table");
        long freeBefore = _freeDataBlockOffset;
        try
        {
            WriteBlocks(offset, src);
            if (_pendingBlocks.Count > 0)
            {
                // the footer first (as qemu's alloc_block): the file then reaches past every new block, so that an
                // entry naming one never points past the end of the file (qemu refuses such an image as truncated)
                _file.Write(_freeDataBlockOffset, _footer.Bytes);
                _file.Flush();
                WritePendingEntries();
            }
        }
        catch
        {
            _freeDataBlockOffset = freeBefore;
            _bat.Forget();
            _bitmapEntry = VpcBat.Unallocated;
            _lastBitmapOffset = -1;
            throw;
        }
        finally
        {
            _pendingBlocks.Clear();
        }
    }

    private void WriteBlocks(long offset, ReadOnlySpan<byte> src)
    {
        byte[]? bitmap = null;
        try
        {
            while (!src.IsEmpty)
            {
                long block = offset / _blockSize;
                int inBlock = (int)(offset % _blockSize);
                int n = (int)Math.Min(src.Length, _blockSize - inBlock);
                uint entry = _bat[block];
                bool isNew = entry == VpcBat.Unallocated;
                if (isNew)
                    entry = Allocate(block);
                else
                    CheckBlockWritable(block, entry);
                long bitmapOffset = BlockOffset(entry);
                _file.Write(bitmapOffset + _bitmapSize + inBlock, src[..n]);

                bitmap ??= ArrayPool<byte>.Shared.Rent(_bitmapSize);
                var bits = bitmap.AsSpan(0, _bitmapSize);
                if (IsDifferencing)
                {
                    UpdateDifferencingBitmap(entry, isNew, inBlock, n, bits);
                }
                else if (bitmapOffset != _lastBitmapOffset)
                {
                    bits.Fill(0xFF);
                    _file.Write(bitmapOffset, bits);
                    _lastBitmapOffset = bitmapOffset;
                }
                src = src[n..];
                offset += n;
            }
        }
        finally
        {
            if (bitmap is not null) ArrayPool<byte>.Shared.Return(bitmap);
        }
    }

    /// <summary>
    /// Sets the bits of the sectors [inBlock, inBlock+n) of a differencing block: a new block's bitmap is those bits
    /// alone; an existing one's sectors are rewritten only when a bit changed. Written after the data it describes.
    /// </summary>
    private void UpdateDifferencingBitmap(uint entry, bool isNew, int inBlock, int n, Span<byte> scratch)
    {
        int first = inBlock / 512, end = (inBlock + n + 511) / 512;
        if (isNew)
        {
            scratch.Clear();
            for (int s = first; s < end; s++)
                SetBit(scratch, s);
            _file.Write(BlockOffset(entry), scratch);
            _bitmap ??= new byte[_bitmapSize];
            scratch.CopyTo(_bitmap);
            _bitmapEntry = entry;
            return;
        }
        byte[] bitmap = Bitmap(entry);
        int firstByte = first >> 3, endByte = (end + 7) >> 3;
        bool changed = false;
        for (int s = first; s < end; s++)
        {
            if (!IsSet(bitmap, s))
            {
                SetBit(bitmap, s);
                changed = true;
            }
        }
        if (!changed)
            return;
        // whole sectors of the bitmap that hold the changed bytes
        int start = firstByte & ~511, stop = Math.Min(_bitmapSize, (endByte + 511) & ~511);
        _file.Write(BlockOffset(entry) + start, bitmap.AsSpan(start, stop - start));
    }

    /// <summary>Places a new block for guest block <paramref name="block"/> at the free offset (qemu's alloc_block).</summary>
    private uint Allocate(long block)
    {
        long at = _freeDataBlockOffset;
        if (at / 512 >= VpcBat.Unallocated)
            throw new ImageException($"Could not write to '{Filename}': the VHD cannot address a block at offset {at}");
        uint entry = (uint)(at / 512);
        _freeDataBlockOffset = at + _bitmapSize + _blockSize;
        _pendingBlocks.Add((block, entry));
        if (!IsDifferencing)
            _lastBitmapOffset = -1; // written by WriteBlocks right after the data
        return entry;
    }

    /// <summary>Writes the new entries, one request per run of consecutive blocks.</summary>
    private void WritePendingEntries()
    {
        int i = 0;
        var values = new uint[_pendingBlocks.Count];
        while (i < _pendingBlocks.Count)
        {
            int j = i;
            values[0] = _pendingBlocks[i].Entry;
            while (j + 1 < _pendingBlocks.Count && _pendingBlocks[j + 1].Block == _pendingBlocks[j].Block + 1)
            {
                j++;
                values[j - i] = _pendingBlocks[j].Entry;
            }
            _bat.WriteEntries(_pendingBlocks[i].Block, values.AsSpan(0, j - i + 1));
            i = j + 1;
        }
    }

    /// <summary>Refuses a write through a BAT entry that names a place inside the image's metadata.</summary>
    private void CheckBlockWritable(long block, uint entry)
    {
        long start = BlockOffset(entry);
        if (start < _metadataEnd)
            throw new ImageCorruptException(
                $"'{Filename}': BAT entry {block} names sector {entry} (offset {start}), inside the image's metadata (which ends at {_metadataEnd})");
    }
}
