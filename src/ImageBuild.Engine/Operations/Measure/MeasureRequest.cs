namespace ImageBuild.Engine.Operations;

/// <summary>What qemu-img measure is asked: a target format and options, for a new image of a size or for a source image.</summary>
public sealed record MeasureRequest
{
    /// <summary>-O: target format.</summary>
    public string OutputFormat { get; init; } = "raw";

    /// <summary>-o: target create options in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Options { get; init; } = [];

    /// <summary>--size N (exclusive with <see cref="Filename"/>).</summary>
    public long? Size { get; init; }

    /// <summary>Source image to measure.</summary>
    public string? Filename { get; init; }

    /// <summary>-f: source format.</summary>
    public string? SourceFormat { get; init; }

    /// <summary>-l: internal snapshot of the source.</summary>
    public string? Snapshot { get; init; }

    /// <summary>-U.</summary>
    public bool ForceShare { get; init; }
}
