namespace Cake.ImageBuild;

/// <summary>Settings for <c>ImageBuildInfo</c> (as <c>qemu-img info</c>).</summary>
public class ImageBuildInfoSettings
{
    /// <summary>Image format (<c>-f</c>); null: probed.</summary>
    public string? Format { get; set; }

    /// <summary>Also describe every image of the backing chain (<c>--backing-chain</c>).</summary>
    public bool BackingChain { get; set; }

    /// <summary>Open the image without taking its lock (<c>-U</c>).</summary>
    public bool ForceShare { get; set; }
}
