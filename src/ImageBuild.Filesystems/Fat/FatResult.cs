namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// What <see cref="FatWriter.Write"/> made: the FAT variant, the cluster size in bytes, and the data region's used and
/// free bytes (whole clusters, as FSInfo's free count and statfs report them).
/// </summary>
public sealed record FatResult(FatType Type, int ClusterSize, long UsedBytes, long FreeBytes);
