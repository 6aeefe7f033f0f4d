namespace Cake.ImageBuild;

/// <summary>Settings for <c>ImageBuildCreate</c> (as <c>qemu-img create</c>).</summary>
public class ImageBuildCreateSettings : ImageBuildOperationSettings
{
    /// <summary>
    /// Image format to create (<c>-f</c>); null: the format the file's extension names (<c>base.qcow2</c>: qcow2),
    /// else raw. A format the extension contradicts (qcow2 into <c>base.raw</c>) is refused.
    /// </summary>
    public string? Format { get; set; }

    /// <summary>Format-specific creation options (<c>-o NAME=VALUE</c>), e.g. <c>cluster_size</c>, in order.</summary>
    public IDictionary<string, string> Options { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
