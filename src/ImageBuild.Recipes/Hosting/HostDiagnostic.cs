namespace ImageBuild.Recipes.Hosting;

/// <summary>
/// A problem a host shows to its user (MSBuild's error list, Cake's log): a stable code, one line of text, and the
/// recipe place when there is one (1-based line and column; 0 when none).
/// </summary>
public sealed record HostDiagnostic(string Code, string Message, string? File = null, int Line = 0, int Column = 0)
{
    /// <summary>"file(line,col): CODE: message", or "CODE: message" when not tied to a file.</summary>
    public override string ToString() =>
        File is null ? $"{Code}: {Message}"
        : Line > 0 ? $"{File}({Line},{Column}): {Code}: {Message}"
        : $"{File}: {Code}: {Message}";
}

/// <summary>The diagnostic codes every host reports (documented in recipes/README.md).</summary>
public static class DiagnosticCodes
{
    /// <summary>The recipe is invalid: YAML, schema, references, cycles, missing files, unsupported formats.</summary>
    public const string InvalidRecipe = "IMGB1001";

    /// <summary>A step ran and failed (or a measure/compare gate did not pass).</summary>
    public const string StepFailed = "IMGB1002";

    /// <summary>The output directory or state could not be used (in use by another run, not writable, ...).</summary>
    public const string OutputUnavailable = "IMGB1003";

    /// <summary>A single operation was asked for with a missing or invalid parameter.</summary>
    public const string InvalidOperation = "IMGB1004";

    /// <summary>The run was cancelled; nothing half-written was kept.</summary>
    public const string Cancelled = "IMGB1005";
}
