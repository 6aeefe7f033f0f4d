namespace ImageBuild.Filesystems.Partitions;

/// <summary>
/// A partition as planned: its 1-based number in the table, byte offset and byte size (both multiples of 512), the
/// GPT type and unique GUIDs (GPT only; <see cref="Guid.Empty"/> on MBR) and the MBR type byte (0 on GPT when none).
/// </summary>
public sealed record PlacedPartition(int Number, PartitionSpec Spec, long Offset, long Size, Guid TypeGuid, Guid PartitionGuid, byte MbrType);
