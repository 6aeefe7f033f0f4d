namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// How <see cref="FatWriter"/> formats a volume. Everything that ends up in the output (serial number, label,
/// timestamps) comes from here, never from the clock or the host, so the same options and tree give the same bytes.
/// </summary>
public sealed record FatOptions
{
    /// <summary>The FAT variant; <see cref="FatType.Auto"/> chooses as mkfs.fat does for the size.</summary>
    public FatType Type { get; init; } = FatType.Auto;

    /// <summary>
    /// BS_VolLab and the root's ATTR_VOLUME_ID entry: at most 11 characters, each an upper-case letter, a digit, a space
    /// (not first) or one of <c>! # $ % &amp; ' ( ) - @ ^ _ ` { } ~</c>. "NO NAME" means no label (no root entry).
    /// </summary>
    public string VolumeLabel { get; init; } = "NO NAME";

    /// <summary>BS_VolID, the serial number (mtools and Linux show it as XXXX-XXXX); derive it reproducibly.</summary>
    public uint VolumeId { get; init; }

    /// <summary>Bytes per cluster (a power of two, a multiple of the sector size, at most 64 KiB); null = mkfs.fat's default.</summary>
    public int? ClusterSize { get; init; }

    /// <summary>
    /// Seconds since the Unix epoch (SOURCE_DATE_EPOCH) used for every entry's creation, write and access stamps,
    /// written as UTC. FAT dates run from 1980 to 2107: earlier times are written as 1980-01-01 00:00:00, later ones as
    /// 2107-12-31 23:59:58. Odd seconds survive only in the creation stamp's tenths field.
    /// </summary>
    public long TimestampSeconds { get; init; }

    /// <summary>Why FAT cannot hold <paramref name="label"/> as its volume label (one line), or null when it can.</summary>
    public static string? LabelProblem(string label)
    {
        try
        {
            FatNames.LabelBytes(label);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>BPB_BytsPerSec: 512, 1024, 2048 or 4096.</summary>
    public int SectorSize { get; init; } = 512;
}
