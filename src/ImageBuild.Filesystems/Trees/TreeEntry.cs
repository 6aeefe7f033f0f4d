namespace ImageBuild.Filesystems.Trees;

/// <summary>What a tree entry is. Devices, FIFOs and sockets are never entries: a scan refuses them.</summary>
public enum TreeEntryKind { Directory, File, Symlink }

/// <summary>
/// One entry of a <see cref="FileTree"/>: a directory, a regular file or a symbolic link, with the metadata a
/// filesystem records. Owners are already mapped (root by default), so nothing here depends on who ran the build.
/// </summary>
public sealed record TreeEntry
{
    /// <summary>Relative path, '/'-separated, no leading or trailing '/', no '.' or '..' components.</summary>
    public required string Path { get; init; }

    public required TreeEntryKind Kind { get; init; }

    /// <summary>Byte length of a file's content (0 for directories and symlinks).</summary>
    public long Size { get; init; }

    /// <summary>Permission bits (07777 at most), as stat's st_mode &amp; 07777.</summary>
    public int Mode { get; init; }

    public int Uid { get; init; }
    public int Gid { get; init; }

    /// <summary>A symlink's target, as readlink returns it.</summary>
    public string? LinkTarget { get; init; }

    /// <summary>Absolute host path of a file's content (null when the content is given inline).</summary>
    public string? SourcePath { get; init; }

    /// <summary>A file's content given inline (generated files such as a cloud-init meta-data), instead of a host file.</summary>
    public ReadOnlyMemory<byte>? Content { get; init; }

    /// <summary>The last path component.</summary>
    public string Name => Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>The parent's path ("" for entries at the root).</summary>
    public string ParentPath => Path.LastIndexOf('/') is var i and >= 0 ? Path[..i] : "";
}
