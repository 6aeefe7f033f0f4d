namespace ImageBuild.Filesystems.Partitions;

/// <summary>The disk a layout is planned for.</summary>
public sealed record PartitionLayoutOptions
{
    public required TableType Table { get; init; }

    /// <summary>Bytes; a multiple of 512.</summary>
    public required long DiskSize { get; init; }

    /// <summary>
    /// What the disk and partition GUIDs derive from, as systemd-repart's --seed: a UUID string is used as the 128-bit
    /// seed itself, any other string through the first 16 bytes of its UTF-8 SHA-256.
    /// </summary>
    public required string Seed { get; init; }

    /// <summary>Partition starts are multiples of this (bytes; a multiple of 512). Default 1 MiB.</summary>
    public long Alignment { get; init; } = 1 << 20;
}
