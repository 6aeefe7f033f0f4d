using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Bochs;

/// <summary>
/// qemu's bochs_open checks, in its order and with its messages: the catalog is at most 1M entries (what bximage
/// needs for its largest, ~8 TB, image), an extent is a power of two between 512 bytes and 8 MiB, and the catalog
/// covers the whole disk.
/// </summary>
public static class BochsLimits
{
    /// <summary>The most catalog entries qemu accepts.</summary>
    public const uint MaxCatalogEntries = 0x100000;

    /// <summary>The largest extent qemu accepts.</summary>
    public const uint MaxExtentSize = 0x800000;

    /// <summary>The catalog check, made before the catalog is read.</summary>
    public static void CheckCatalogSize(BochsHeader header)
    {
        if (header.CatalogEntries > MaxCatalogEntries)
            throw new ImageException("Catalog size is too large");
    }

    /// <summary>The extent and coverage checks, made after the catalog is read.</summary>
    public static void CheckExtents(BochsHeader header, long totalSectors)
    {
        uint extent = header.ExtentSize;
        if (extent < Sectors.Size)
            throw new ImageException("Extent size must be at least 512");
        if ((extent & (extent - 1)) != 0)
            throw new ImageException($"Extent size {extent} is not a power of two");
        if (extent > MaxExtentSize)
            throw new ImageException($"Extent size {extent} is too large");
        long sectorsPerExtent = extent / Sectors.Size;
        if (header.CatalogEntries < (totalSectors + sectorsPerExtent - 1) / sectorsPerExtent)
            throw new ImageException("Catalog size is too small for this disk size");
    }

    /// <summary>qemu's "1 + (size - 1) / 512" in 32-bit unsigned arithmetic (a size of 0 wraps to 8 Mi sectors).</summary>
    public static uint Blocks(uint size) => unchecked(1 + (size - 1) / Sectors.Size);
}
