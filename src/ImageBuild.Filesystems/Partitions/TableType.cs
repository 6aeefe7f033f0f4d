namespace ImageBuild.Filesystems.Partitions;

/// <summary>Which partition table a disk gets.</summary>
public enum TableType
{
    /// <summary>GUID Partition Table (UEFI 2.x chapter 5), behind a protective MBR.</summary>
    Gpt,

    /// <summary>The DOS master boot record: four primary partitions, 32-bit LBAs.</summary>
    Mbr,
}
