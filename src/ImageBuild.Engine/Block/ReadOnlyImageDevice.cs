using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Block;

/// <summary>
/// What qemu 7.2's drivers for the formats it only reads (bochs, cloop, dmg) have in common: a writable open is
/// refused before the file is looked at ("Image is read-only": bdrv_apply_auto_read_only without auto-read-only),
/// there is no bdrv_get_info (info shows no dirty flag), I/O is in whole sectors (their refresh_limits), and there is
/// no block status callback, so the block layer reports every byte as data.
/// </summary>
public abstract class ReadOnlyImageDevice : BlockDevice
{
    protected ReadOnlyImageDevice(OpenRequest request) : base(request.Filename, readOnly: true)
    {
        if (request.Writable)
            throw new ImageException("Image is read-only");
        File = request.File;
    }

    public sealed override HostFile File { get; }

    public sealed override bool HasDriverInfo => false;

    protected sealed override int RequestAlignment => Sectors.Size;

    public sealed override DriverStatus GetDriverStatus(long offset, long length) => new(length, BlockStatusFlags.Data);
}
