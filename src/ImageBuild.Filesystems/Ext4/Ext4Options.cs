namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// How <see cref="Ext4Writer"/> formats an ext4 filesystem. Everything that ends up in the output (UUID, directory
/// hash seed, label, timestamps) comes from here, never from the clock, the host or a random source, so the same
/// options and tree give the same bytes on every run and machine.
/// </summary>
public sealed record Ext4Options
{
    /// <summary>The filesystem UUID (mke2fs -U); derive it reproducibly.</summary>
    public required Guid Uuid { get; init; }

    /// <summary>The seed of the htree directory hash (mke2fs -E hash_seed=); derive it reproducibly.</summary>
    public required Guid HashSeed { get; init; }

    /// <summary>The volume label (mke2fs -L): at most 16 bytes of UTF-8; empty for none.</summary>
    public string VolumeLabel { get; init; } = "";

    /// <summary>
    /// Seconds since the Unix epoch (SOURCE_DATE_EPOCH) for every inode's atime, ctime, mtime and crtime and for the
    /// superblock's creation, mount, write and check times.
    /// </summary>
    public long TimestampSeconds { get; init; }

    /// <summary>Bytes per block: 1024, 2048 or 4096 (mke2fs -b).</summary>
    public int BlockSize { get; init; } = 4096;
}
