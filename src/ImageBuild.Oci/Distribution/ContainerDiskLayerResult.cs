namespace ImageBuild.Oci.Distribution;

/// <summary>What writing a containerDisk layer produced.</summary>
/// <param name="DiffId">sha256 of the uncompressed tar: the config's rootfs.diff_ids entry.</param>
/// <param name="TarSize">Bytes of the uncompressed tar.</param>
/// <param name="FileSize">Bytes of the disk file in it.</param>
public sealed record ContainerDiskLayerResult(string DiffId, long TarSize, long FileSize);
