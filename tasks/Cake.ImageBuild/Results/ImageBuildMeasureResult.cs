namespace Cake.ImageBuild;

/// <summary>What <c>qemu-img measure</c> reports: the sizes an image needs in a format.</summary>
public sealed class ImageBuildMeasureResult
{
    internal ImageBuildMeasureResult(ImageBuildStepResult step, string format, long required, long fullyAllocated)
    {
        Step = step;
        Format = format;
        Required = required;
        FullyAllocated = fullyAllocated;
    }

    /// <summary>The format measured for.</summary>
    public string Format { get; }

    /// <summary>Bytes required for the image's data in that format.</summary>
    public long Required { get; }

    /// <summary>Bytes of a fully allocated image in that format.</summary>
    public long FullyAllocated { get; }

    /// <summary>The operation's outcome (ran or skipped, and why).</summary>
    public ImageBuildStepResult Step { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Format}: required {Required}, fully allocated {FullyAllocated}";
}
