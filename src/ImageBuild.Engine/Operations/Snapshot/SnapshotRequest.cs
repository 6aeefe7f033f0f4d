namespace ImageBuild.Engine.Operations;

/// <summary>What qemu-img snapshot does: -l, -c, -a, -d, or nothing (the image is only opened read-write).</summary>
public enum SnapshotAction
{
    None,
    List,
    Create,
    Apply,
    Delete,
}

/// <summary>What qemu-img snapshot is asked to do.</summary>
public sealed record SnapshotRequest
{
    public required string Filename { get; init; }

    public SnapshotAction Action { get; init; }

    /// <summary>The snapshot name (-c), id or name (-a), or name (-d).</summary>
    public string? Snapshot { get; init; }

    /// <summary>-U: only valid with -l (qemu refuses force-share on read-write opens).</summary>
    public bool ForceShare { get; init; }

    /// <summary>
    /// The creation date recorded by -c. Null means now, as qemu-img does; recipes pass a fixed date to get
    /// reproducible images.
    /// </summary>
    public DateTimeOffset? Date { get; init; }
}
