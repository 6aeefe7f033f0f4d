namespace ImageBuild.Engine.Operations;

/// <summary>What qemu-img resize is asked to do.</summary>
public sealed record ResizeRequest
{
    public required string Filename { get; init; }

    /// <summary>-f; null probes (with qemu's raw warning, since resize opens read-write).</summary>
    public string? Format { get; init; }

    /// <summary>The size argument: "SIZE", "+SIZE" or "-SIZE" with qemu's suffixes.</summary>
    public required string Size { get; init; }

    /// <summary>--shrink: allow reducing the size.</summary>
    public bool Shrink { get; init; }

    /// <summary>--preallocation for the grown area: off, metadata, falloc, full.</summary>
    public string? Preallocation { get; init; }
}
