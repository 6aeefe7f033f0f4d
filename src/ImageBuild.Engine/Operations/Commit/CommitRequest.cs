namespace ImageBuild.Engine.Operations;

/// <summary>What qemu-img commit is asked to do.</summary>
public sealed record CommitRequest
{
    public required string Filename { get; init; }

    /// <summary>-f; null probes.</summary>
    public string? Format { get; init; }

    /// <summary>-b: the chain member to commit into, matched by filename; implies Drop. Null = immediate backing file.</summary>
    public string? Base { get; init; }

    /// <summary>-d: do not empty the top image afterwards.</summary>
    public bool Drop { get; init; }

    /// <summary>-r: bytes per second; 0 = unlimited.</summary>
    public long RateLimit { get; init; }

    public Action<double>? Progress { get; init; }
}
