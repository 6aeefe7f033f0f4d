namespace ImageBuild.Oci.Distribution;

/// <summary>What a pull wrote: the manifest's digest, the image's format (null for a containerDisk, whose config does
/// not say) and the final paths of its files, main file first.</summary>
public sealed record PulledImage(string ManifestDigest, string? Format, IReadOnlyList<string> Paths, bool IsContainerDisk);
