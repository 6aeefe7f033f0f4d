using System.Buffers;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vdi;

/// <summary>
/// An opened VDI image (qemu's block/vdi.c): guest block i lives at offset_data + map[i] * 1 MiB; unallocated and
/// discarded blocks read as zeros. Writes to an unallocated block append a new block (the next data index,
/// blocks_allocated) written whole, then the header, then the changed map sectors. There is no discard, no efficient
/// write-zeroes (qemu falls back to writing zeros, which allocates), no resize and no backing file.
/// </summary>
public sealed partial class VdiDevice : BlockDevice
{
    private const int BlockSize = (int)VdiHeader.DefaultBlockSize;

    private readonly HostFile _file;
    private readonly VdiHeader _header;
    private readonly VdiBlockMap _map;
    private readonly long _virtualSize;

    internal VdiDevice(OpenRequest request) : base(request.Filename, !request.Writable)
    {
        _file = request.File;
        var buffer = new byte[VdiHeader.Size];
        _file.Read(0, buffer); // a short file reads as zeros past its end, as through qemu's file protocol
        _header = VdiHeader.Parse(buffer);
        _virtualSize = (long)VdiLimits.Validate(_header);
        // qemu keeps the rounded size in its copy of the header, which it writes back on allocation
        _header.DiskSize = (ulong)_virtualSize;
        _map = VdiBlockMap.Open(_file, Filename, _header.OffsetBmap, _header.BlocksInImage);
    }

    public override string FormatName => "vdi";

    public override long VirtualSize => _virtualSize;

    /// <summary>qemu's vdi_get_info: the block size.</summary>
    public override int ClusterSize => BlockSize;

    public override HostFile File => _file;

    private bool IsStatic => _header.ImageType == VdiHeader.TypeStatic;

    private long DataOffset(uint entry) => _header.OffsetData + (long)entry * BlockSize;

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        while (!dest.IsEmpty)
        {
            long block = offset / BlockSize;
            int inBlock = (int)(offset % BlockSize);
            uint entry = _map[block];
            int n = (int)Math.Min(dest.Length, BlockSize - inBlock);
            if (!VdiBlockEntry.IsAllocated(entry))
            {
                dest[..n].Clear();
            }
            else
            {
                // blocks stored one after the other are read in one request
                for (long next = block + 1; n < dest.Length && _map[next] == entry + (next - block); next++)
                    n += Math.Min(dest.Length - n, BlockSize);
                // like qemu, whatever the entry names is read; past the end of the file that is zeros
                _file.Read(DataOffset(entry) + inBlock, dest[..n]);
            }
            dest = dest[n..];
            offset += n;
        }
    }

    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        uint allocatedBefore = _header.BlocksAllocated;
        try
        {
            WriteBlocks(offset, src);
            if (_map.HasPending)
            {
                // qemu's order: the new blocks' data, then the header counting them, then the map entries naming them.
                // A crash between leaves at worst blocks counted but unused (check: "allocated blocks mismatch"),
                // never an entry naming a block a later allocation would hand out again.
                _file.Write(0, _header.ToBytes());
                _map.WritePending();
            }
        }
        catch
        {
            _header.BlocksAllocated = allocatedBefore;
            _map.DropPending();
            throw;
        }
    }

    private void WriteBlocks(long offset, ReadOnlySpan<byte> src)
    {
        byte[]? whole = null;
        try
        {
            while (!src.IsEmpty)
            {
                long block = offset / BlockSize;
                int inBlock = (int)(offset % BlockSize);
                int n = (int)Math.Min(src.Length, BlockSize - inBlock);
                uint entry = _map[block];
                if (VdiBlockEntry.IsAllocated(entry))
                {
                    CheckWritable(block, entry);
                    _file.Write(DataOffset(entry) + inBlock, src[..n]);
                }
                else
                {
                    entry = Allocate(block);
                    if (n == BlockSize)
                    {
                        _file.Write(DataOffset(entry), src[..n]);
                    }
                    else
                    {
                        // a new block is written whole, the rest of it zeros
                        whole ??= ArrayPool<byte>.Shared.Rent(BlockSize);
                        var buffer = whole.AsSpan(0, BlockSize);
                        buffer.Clear();
                        src[..n].CopyTo(buffer[inBlock..]);
                        _file.Write(DataOffset(entry), buffer);
                    }
                }
                src = src[n..];
                offset += n;
            }
        }
        finally
        {
            if (whole is not null) ArrayPool<byte>.Shared.Return(whole);
        }
    }

    /// <summary>Hands out the next data block (blocks_allocated) to guest block <paramref name="block"/>.</summary>
    private uint Allocate(long block)
    {
        uint entry = _header.BlocksAllocated;
        // qemu would append past blocks_in_image (up to an entry equal to a marker); such a header is corrupt
        if (entry >= _map.Count)
            throw new ImageCorruptException(
                $"'{Filename}': cannot allocate a block for guest block {block}: blocks_allocated ({entry}) is not below blocks_in_image ({_map.Count})");
        CheckWritable(block, entry);
        _map.Set(block, entry);
        _header.BlocksAllocated = entry + 1;
        return entry;
    }

    /// <summary>
    /// Refuses a write through a map entry qemu would follow anywhere: one naming a block past blocks_in_image, or
    /// data that would land on the header or the block map.
    /// </summary>
    private void CheckWritable(long block, uint entry)
    {
        if (entry >= _map.Count)
            throw new ImageCorruptException(
                $"'{Filename}': block map entry {block} names data block {entry}, past blocks_in_image ({_map.Count})");
        long start = DataOffset(entry);
        long mapEnd = _header.OffsetBmap + ((long)_map.Count * 4 + 511 & ~511L);
        if (start < VdiHeader.Size || (start < mapEnd && start + BlockSize > _header.OffsetBmap))
            throw new ImageCorruptException(
                $"'{Filename}': data block {entry} at offset {start} overlaps the header or the block map");
    }

    /// <summary>
    /// qemu's vdi_co_block_status: an allocated block is data at its host offset (static images ask the file for
    /// holes); an unallocated or discarded one reads as zeros. Runs of like blocks are answered at once.
    /// </summary>
    public override DriverStatus GetDriverStatus(long offset, long length)
    {
        long block = offset / BlockSize;
        int inBlock = (int)(offset % BlockSize);
        uint entry = _map[block];
        long n = Math.Min(length, BlockSize - inBlock);
        bool allocated = VdiBlockEntry.IsAllocated(entry);
        for (long next = block + 1; n < length; next++)
        {
            uint e = _map[next];
            if (allocated ? e != entry + (next - block) : VdiBlockEntry.IsAllocated(e))
                break;
            n += Math.Min(length - n, BlockSize);
        }
        if (!allocated)
            return new DriverStatus(n, BlockStatusFlags.Zero);
        var flags = BlockStatusFlags.Data | BlockStatusFlags.OffsetValid | (IsStatic ? BlockStatusFlags.Recurse : 0);
        return new DriverStatus(n, flags, DataOffset(entry) + inBlock, _file);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
    }
}
