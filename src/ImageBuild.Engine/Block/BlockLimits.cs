using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Block;

/// <summary>
/// The size limits qemu's block layer applies to every truncate (bdrv_co_truncate): no negative size and nothing
/// past BDRV_MAX_LENGTH, the largest multiple of the maximum alignment (1 GiB) below 2^63.
/// </summary>
public static class BlockLimits
{
    /// <summary>BDRV_MAX_LENGTH: 2^63 rounded down to BDRV_MAX_ALIGNMENT (1 GiB).</summary>
    public const long MaxLength = long.MaxValue & ~((1L << 30) - 1);

    /// <summary>Throws qemu's error when <paramref name="size"/> is not a length a block node may be truncated to.</summary>
    public static void CheckTruncate(long size)
    {
        if (size < 0)
            throw new ImageException("Image size cannot be negative") { Errno = SnapshotException.EINVAL };
        if (size > MaxLength)
            throw new ImageException($"offset({size}) exceeds maximum({MaxLength})") { Errno = SnapshotException.EINVAL };
    }
}
