using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>
/// An opened cloop V2.0 image (qemu's block/cloop.c): n_blocks blocks of block_size bytes, each a zlib stream
/// between two entries of the offsets table. The virtual size is n_blocks * block_size; the last block is a whole
/// block like the others. Read-only, like qemu's driver, and a block that does not inflate to exactly one block
/// fails the read with an I/O error.
/// </summary>
public sealed class CloopDevice : BlockDevice
{
    private readonly HostFile _file;
    private readonly CloopBlockCache _cache;
    private readonly uint _blockSize;
    private readonly long _virtualSize;

    internal CloopDevice(OpenRequest request) : base(request.Filename, readOnly: true)
    {
        // qemu's bdrv_apply_auto_read_only without auto-read-only: refused before the file is looked at
        if (request.Writable)
            throw new ImageException("Image is read-only");
        _file = request.File;
        var header = CloopHeader.Read(_file);
        var offsets = CloopOffsets.Read(_file, request.Filename, header);
        _blockSize = header.BlockSize;
        _virtualSize = (long)header.BlockCount * header.BlockSize;
        _cache = new CloopBlockCache(_file, request.Filename, offsets, header.BlockSize);
    }

    public override string FormatName => "cloop";

    public override long VirtualSize => _virtualSize;

    public override HostFile File => _file;

    /// <summary>qemu's cloop driver has no bdrv_get_info: info shows no dirty flag.</summary>
    public override bool HasDriverInfo => false;

    /// <summary>qemu's cloop_refresh_limits: no sub-sector I/O.</summary>
    protected override int RequestAlignment => Sectors.Size;

    /// <summary>qemu's cloop has no block status callback: the block layer reports everything as data.</summary>
    public override DriverStatus GetDriverStatus(long offset, long length) => new(length, BlockStatusFlags.Data);

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        while (!dest.IsEmpty)
        {
            long block = offset / _blockSize;
            int inBlock = (int)(offset % _blockSize);
            int n = (int)Math.Min(dest.Length, _blockSize - inBlock);
            _cache.CopyOut(block, inBlock, dest[..n]);
            dest = dest[n..];
            offset += n;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _cache.Dispose();
    }
}
