namespace Cake.ImageBuild;

/// <summary>Settings for <c>ImageBuildCreate</c> (as <c>qemu-img create</c>).</summary>
public class ImageBuildCreateSettings : ImageBuildOperationSettings
{
    /// <summary>Image format to create (<c>-f</c>): raw (default) or qcow2.</summary>
    public string Format { get; set; } = "raw";

    /// <summary>Format-specific creation options (<c>-o NAME=VALUE</c>), e.g. <c>cluster_size</c>, in order.</summary>
    public IDictionary<string, string> Options { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
