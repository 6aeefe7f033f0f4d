namespace ImageBuild.Engine.Formats.Vdi;

/// <summary>The limits qemu's vdi_open and vdi_co_do_create enforce, with qemu's messages, in qemu's order.</summary>
internal static class VdiLimits
{
    /// <summary>
    /// VDI_BLOCKS_IN_IMAGE_MAX: the block map is read in one request of at most INT_MAX bytes after rounding up to a
    /// whole sector, so (2^31 - 512) / 4 entries.
    /// </summary>
    public const uint MaxBlocksInImage = (int.MaxValue + 1u - 512) / 4;

    /// <summary>VDI_DISK_SIZE_MAX.</summary>
    public const ulong MaxDiskSize = (ulong)MaxBlocksInImage * VdiHeader.DefaultBlockSize;

    public static string SizeTooLarge(ulong size) =>
        $"Unsupported VDI image size (size is 0x{size:x}, max supported is 0x{MaxDiskSize:x})";

    /// <summary>
    /// vdi_open's checks of a header: throws qemu's message for the first one that fails, otherwise returns the
    /// virtual size (disk_size rounded up to whole sectors, as 'VBoxManage convertfromraw' may leave it odd).
    /// </summary>
    public static ulong Validate(VdiHeader h)
    {
        if (h.DiskSize > MaxDiskSize)
            throw new ImageException(SizeTooLarge(h.DiskSize));
        ulong diskSize = (h.DiskSize + VdiHeader.SectorSize - 1) & ~(ulong)(VdiHeader.SectorSize - 1);
        ulong room = (ulong)h.BlocksInImage * h.BlockSize;
        string? error =
            h.Sig != VdiHeader.Signature ? $"Image not in VDI format (bad signature {h.Sig:x8})" :
            h.Version != VdiHeader.Version11 ? $"unsupported VDI image (version {h.Version >> 16}.{h.Version & 0xFFFF})" :
            h.OffsetBmap % VdiHeader.SectorSize != 0 ? $"unsupported VDI image (unaligned block map offset 0x{h.OffsetBmap:x})" :
            h.OffsetData % VdiHeader.SectorSize != 0 ? $"unsupported VDI image (unaligned data offset 0x{h.OffsetData:x})" :
            h.SectorSizeField != VdiHeader.SectorSize ? $"unsupported VDI image (sector size {h.SectorSizeField} is not {VdiHeader.SectorSize})" :
            h.BlockSize != VdiHeader.DefaultBlockSize ? $"unsupported VDI image (block size {h.BlockSize} is not {VdiHeader.DefaultBlockSize})" :
            diskSize > room ? $"unsupported VDI image (disk size {diskSize}, image bitmap has room for {room})" :
            h.UuidLink != Guid.Empty ? "unsupported VDI image (non-NULL link UUID)" :
            h.UuidParent != Guid.Empty ? "unsupported VDI image (non-NULL parent UUID)" :
            h.BlocksInImage > MaxBlocksInImage ? $"unsupported VDI image (too many blocks {h.BlocksInImage}, max is {MaxBlocksInImage})" :
            null;
        if (error is not null)
            throw new ImageException(error);
        return diskSize;
    }
}
