namespace ImageBuild.Engine.Operations;

/// <summary>One qemu-img bitmap action, in command-line order.</summary>
public enum BitmapAction { Add, Remove, Clear, Enable, Disable, Merge }

/// <summary>An action and, for --merge, the source bitmap's name.</summary>
public sealed record BitmapStep(BitmapAction Action, string? Source = null);

/// <summary>What qemu-img bitmap is asked to do.</summary>
public sealed record BitmapRequest
{
    public required string Filename { get; init; }

    /// <summary>-f; null probes.</summary>
    public string? Format { get; init; }

    /// <summary>The bitmap the actions apply to.</summary>
    public required string Bitmap { get; init; }

    public required IReadOnlyList<BitmapStep> Steps { get; init; }

    /// <summary>-g for --add; null for qemu's default (the cluster size, at least 4 KiB).</summary>
    public long? Granularity { get; init; }

    /// <summary>-b: image the --merge sources come from (opened read-only without backing).</summary>
    public string? SourceFile { get; init; }

    /// <summary>-F: its format.</summary>
    public string? SourceFormat { get; init; }
}
