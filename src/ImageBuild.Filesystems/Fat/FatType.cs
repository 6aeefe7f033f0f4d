namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// The FAT variant. Per Microsoft's FAT specification (fatgen103, "FAT Type Determination") the type follows from the
/// count of data clusters alone: fewer than 4085 is FAT12, fewer than 65525 is FAT16, anything more is FAT32.
/// <see cref="Auto"/> picks as mkfs.fat does: FAT32 from 512 MiB up, below that FAT16, or FAT12 when the volume has
/// too few clusters for FAT16.
/// </summary>
public enum FatType { Auto, Fat12, Fat16, Fat32 }
