namespace ImageBuild.Filesystems.Ext4;

/// <summary>What <see cref="Ext4Writer.Write"/> made: block size, block count and blocks in use afterwards.</summary>
public sealed record Ext4Result(int BlockSize, long BlockCount, long UsedBlocks);
