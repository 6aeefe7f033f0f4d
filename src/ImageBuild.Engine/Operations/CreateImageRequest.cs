using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Operations;

/// <summary>An image to create, as qemu-img create describes it.</summary>
public sealed record CreateImageRequest
{
    public required string Filename { get; init; }

    /// <summary>Format name (-f); qemu-img's default is raw.</summary>
    public string Format { get; init; } = "raw";

    /// <summary>The SIZE argument, when given.</summary>
    public long? Size { get; init; }

    /// <summary>The -o options as name/value pairs in the order given (size, backing_file... may be among them).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Options { get; init; } = [];

    /// <summary>-b: backing file name, stored verbatim.</summary>
    public string? BackingFile { get; init; }

    /// <summary>-F: backing file format.</summary>
    public string? BackingFormat { get; init; }

    /// <summary>-u: do not open the backing file (size must then be given).</summary>
    public bool BackingUnsafe { get; init; }
}
