namespace ImageBuild.Engine.Operations;

/// <summary>What qemu-img rebase is asked to do.</summary>
public sealed record RebaseRequest
{
    public required string Filename { get; init; }

    /// <summary>-f; null probes.</summary>
    public string? Format { get; init; }

    /// <summary>-b: the new backing file, stored verbatim; "" removes the backing file (flattens in safe mode).</summary>
    public required string BackingFile { get; init; }

    /// <summary>-F: the new backing file's format.</summary>
    public string? BackingFormat { get; init; }

    /// <summary>-u: only rewrite the header; the old backing file is not opened.</summary>
    public bool Unsafe { get; init; }

    public Action<double>? Progress { get; init; }
}
