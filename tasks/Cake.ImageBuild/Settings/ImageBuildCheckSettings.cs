namespace Cake.ImageBuild;

/// <summary>Settings for <c>ImageBuildCheck</c> (as <c>qemu-img check</c>).</summary>
public class ImageBuildCheckSettings : ImageBuildOperationSettings
{
    /// <summary>Leaked clusters are not an error (default true, as in recipes); corruption always is.</summary>
    public bool AllowLeaks { get; set; } = true;
}
