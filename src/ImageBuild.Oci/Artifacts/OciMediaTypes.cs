namespace ImageBuild.Oci.Artifacts;

/// <summary>
/// Media types of the OCI image-spec and ImageBuild's own: a step-cache entry and a pushed image are OCI 1.1 image
/// manifests told apart by their artifactType; each host file of an output is one layer whose media type names
/// the image format and the transport encoding (<see cref="Layers.SparseFileLayer"/>, a zstd tar).
/// </summary>
public static class OciMediaTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string EmptyJson = "application/vnd.oci.empty.v1+json";
    public const string LayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>An OCI image layer compressed with zstd (image-spec layer.md).</summary>
    public const string LayerTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd";

    /// <summary>The artifactType of a step-cache entry.</summary>
    public const string StepArtifact = "application/vnd.imagebuild.step.v1";

    /// <summary>The config blob of a step-cache entry: its step record.</summary>
    public const string StepRecord = "application/vnd.imagebuild.step.record.v1+json";

    /// <summary>The artifactType of a pushed image.</summary>
    public const string ImageArtifact = "application/vnd.imagebuild.image.v1";

    /// <summary>The layer media type of a disk image file of <paramref name="format"/> ("raw", "qcow2", "vmdk", ...):
    /// "application/vnd.imagebuild.disk.FORMAT.v1.tar+zstd".</summary>
    /// <exception cref="ArgumentException">The format is not [a-z0-9]+.</exception>
    public static string DiskLayer(string format)
    {
        if (string.IsNullOrEmpty(format) || !format.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c)))
            throw new ArgumentException($"image format '{format}' cannot name a layer media type (lower-case letters and digits only)", nameof(format));
        return "application/vnd.imagebuild.disk." + format + ".v1" + Layers.SparseFileLayer.MediaTypeSuffix;
    }

    /// <summary>The format named by a <see cref="DiskLayer"/> media type, or null for any other media type.</summary>
    public static string? DiskLayerFormat(string mediaType)
    {
        const string prefix = "application/vnd.imagebuild.disk.", suffix = ".v1" + Layers.SparseFileLayer.MediaTypeSuffix;
        if (!mediaType.StartsWith(prefix, StringComparison.Ordinal) || !mediaType.EndsWith(suffix, StringComparison.Ordinal)) return null;
        string format = mediaType[prefix.Length..^suffix.Length];
        return format.Length > 0 && format.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c)) ? format : null;
    }
}
