namespace ImageBuild.Engine.Block;

/// <summary>qemu counts image sizes in 512-byte sectors (BDRV_SECTOR_SIZE).</summary>
public static class Sectors
{
    public const int Size = 512;

    /// <summary>Rounds a byte count up to whole sectors.</summary>
    public static long RoundUp(long bytes) => (bytes + Size - 1) & ~(long)(Size - 1);
}
