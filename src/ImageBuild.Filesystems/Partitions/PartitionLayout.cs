namespace ImageBuild.Filesystems.Partitions;

/// <summary>
/// A planned partition table: what <see cref="PartitionTable.Write"/> writes. On MBR the disk identifier (the
/// 32-bit signature at byte 440) is the first four bytes of <see cref="DiskGuid"/> in its little-endian form.
/// </summary>
public sealed record PartitionLayout(TableType Table, Guid DiskGuid, IReadOnlyList<PlacedPartition> Partitions, long DiskSize);
