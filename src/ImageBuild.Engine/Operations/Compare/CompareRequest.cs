namespace ImageBuild.Engine.Operations;

/// <summary>What qemu-img compare is asked to do.</summary>
public sealed record CompareRequest
{
    public required string File1 { get; init; }
    public required string File2 { get; init; }

    /// <summary>-f: format of File1 (null probes).</summary>
    public string? Format1 { get; init; }

    /// <summary>-F: format of File2 (null probes).</summary>
    public string? Format2 { get; init; }

    /// <summary>-s: sizes and block status must match too.</summary>
    public bool Strict { get; init; }

    /// <summary>-U.</summary>
    public bool ForceShare { get; init; }

    /// <summary>Progress in percent (0..100), relative to the larger image.</summary>
    public Action<double>? Progress { get; init; }
}

/// <summary>
/// The outcome: exit code 0 (identical) or 1 (different), and the stdout lines qemu-img prints
/// (e.g. "Images are identical." or "Warning: Image size mismatch!\nContent mismatch at offset 5!").
/// </summary>
public sealed record CompareResult(int ExitCode, string Message);

/// <summary>A compare that could not complete: exit code 2 (open), 3 (block status) or 4 (read).</summary>
public sealed class CompareException(int exitCode, string message, Exception? inner = null)
    : ImageException(message, inner ?? new InvalidOperationException(message))
{
    public int ExitCode { get; } = exitCode;
}
