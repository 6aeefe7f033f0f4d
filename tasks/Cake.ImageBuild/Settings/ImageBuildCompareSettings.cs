namespace Cake.ImageBuild;

/// <summary>Settings for <c>ImageBuildCompare</c> (as <c>qemu-img compare</c>).</summary>
public class ImageBuildCompareSettings : ImageBuildOperationSettings
{
    /// <summary>Format of the second image (<c>-F</c>); null: probed.</summary>
    public string? SecondFormat { get; set; }

    /// <summary>Strict mode (<c>-s</c>): images of different sizes, or allocated versus unallocated, differ.</summary>
    public bool Strict { get; set; }
}
