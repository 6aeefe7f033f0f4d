namespace ImageBuild.Filesystems.Partitions;

/// <summary>One partition the caller asks for; <see cref="PartitionTable.Plan"/> places it.</summary>
public sealed record PartitionSpec
{
    /// <summary>A <see cref="PartitionTypes"/> name, a GPT type GUID, or (MBR only) a type byte such as "0x83".</summary>
    public required string Type { get; init; }

    /// <summary>The GPT partition name (at most 36 UTF-16 code units); MBR has none.</summary>
    public string? Name { get; init; }

    /// <summary>Bytes, rounded up to a 512-byte sector. Null together with <see cref="Percent"/>: the rest of the disk (one partition at most).</summary>
    public long? Size { get; init; }

    /// <summary>Percent of the usable space (from the first aligned start to the last usable sector), rounded down to the alignment.</summary>
    public double? Percent { get; init; }

    /// <summary>GPT attribute bits (UEFI table 5-8: bit 0 required, bit 1 no block-IO protocol, bit 2 legacy BIOS bootable, 48–63 type-specific).</summary>
    public ulong Attributes { get; init; }

    /// <summary>The MBR boot indicator (0x80); on GPT it sets attribute bit 2, legacy BIOS bootable.</summary>
    public bool Bootable { get; init; }
}
