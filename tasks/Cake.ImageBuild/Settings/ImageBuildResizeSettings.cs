namespace Cake.ImageBuild;

/// <summary>Settings for <c>ImageBuildResize</c> (as <c>qemu-img resize</c>, on a copy).</summary>
public class ImageBuildResizeSettings : ImageBuildOperationSettings
{
    /// <summary>Allow the image to shrink (<c>--shrink</c>).</summary>
    public bool Shrink { get; set; }

    /// <summary>Preallocation of the new area (<c>--preallocation</c>): off (default), metadata, falloc, full.</summary>
    public string? Preallocation { get; set; }
}
