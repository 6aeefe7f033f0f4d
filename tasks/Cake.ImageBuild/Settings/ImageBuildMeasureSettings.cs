namespace Cake.ImageBuild;

/// <summary>Settings for <c>ImageBuildMeasure</c> (as <c>qemu-img measure</c>, with optional size gates).</summary>
public class ImageBuildMeasureSettings : ImageBuildOperationSettings
{
    /// <summary>Format to measure for (<c>-O</c>); null: the image's own format.</summary>
    public string? Format { get; set; }

    /// <summary>Creation options of the measured format (<c>-o NAME=VALUE</c>), in order.</summary>
    public IDictionary<string, string> Options { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Fail when the required size exceeds this size (qemu suffixes: <c>80M</c>).</summary>
    public string? MaxRequired { get; set; }

    /// <summary>Fail when the fully-allocated size exceeds this size.</summary>
    public string? MaxFullyAllocated { get; set; }
}
