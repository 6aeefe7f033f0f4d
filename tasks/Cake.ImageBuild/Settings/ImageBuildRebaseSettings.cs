using Cake.Core.IO;

namespace Cake.ImageBuild;

/// <summary>Settings for <c>ImageBuildRebase</c> (as <c>qemu-img rebase</c>, on a copy).</summary>
public class ImageBuildRebaseSettings : ImageBuildOperationSettings
{
    /// <summary>The new backing image (<c>-b</c>); null flattens the image (no backing file).</summary>
    public FilePath? Backing { get; set; }

    /// <summary>Format of the new backing image (<c>-F</c>); null: probed.</summary>
    public string? BackingFormat { get; set; }

    /// <summary>Only change the backing file name, not the data (<c>-u</c>).</summary>
    public bool Unsafe { get; set; }
}
