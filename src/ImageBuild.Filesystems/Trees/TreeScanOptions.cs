namespace ImageBuild.Filesystems.Trees;

/// <summary>Whose ownership a scanned tree records.</summary>
public enum OwnerMapping
{
    /// <summary>uid and gid 0 for every entry, whoever owns the host files (the default: the build does not depend on its user).</summary>
    Root,

    /// <summary>The host files' own uid and gid, as lstat(2) reports them.</summary>
    Keep,
}

/// <summary>
/// What <see cref="TreeScanner.Scan"/> keeps of a host directory. Patterns are globs over '/'-separated paths relative
/// to the root (see <see cref="TreeGlob"/>).
/// </summary>
public sealed record TreeScanOptions
{
    /// <summary>An entry is kept when it, or a directory above it, matches one of these (default: everything).</summary>
    public IReadOnlyList<string> Include { get; init; } = ["**"];

    /// <summary>An entry is dropped when it, or a directory above it, matches one of these; an excluded directory is not read.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    public OwnerMapping Owners { get; init; } = OwnerMapping.Root;
}
