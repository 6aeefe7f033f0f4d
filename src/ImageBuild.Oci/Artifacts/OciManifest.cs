namespace ImageBuild.Oci.Artifacts;

/// <summary>
/// An OCI image manifest (image-spec manifest.md, version 1.1: artifactType and subject), the form ImageBuild
/// stores step-cache entries and images in. <see cref="ToJson"/> is deterministic; <see cref="Parse"/> validates
/// everything it keeps (see <see cref="OciManifestJson"/>).
/// </summary>
public sealed record OciManifest
{
    /// <summary>The largest manifest parsed (the registry client's limit too).</summary>
    public const int MaxJsonSize = 4 << 20;

    /// <summary>The most layers a parsed manifest may have.</summary>
    public const int MaxLayers = 10_000;

    public int SchemaVersion { get; init; } = 2;
    public string MediaType { get; init; } = OciMediaTypes.ImageManifest;
    public string? ArtifactType { get; init; }
    public required OciDescriptor Config { get; init; }
    public required IReadOnlyList<OciDescriptor> Layers { get; init; }
    public OciDescriptor? Subject { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>
    /// The manifest as JSON without whitespace: properties in the image-spec's order (schemaVersion, mediaType,
    /// artifactType, config, layers, subject, annotations; in descriptors mediaType, artifactType, digest, size,
    /// annotations), annotation keys in ordinal order, absent values left out. Equal manifests give equal bytes.
    /// </summary>
    public byte[] ToJson() => OciManifestJson.Write(this);

    /// <summary>
    /// Parses and validates a manifest: at most 4 MiB, schemaVersion 2, the image manifest media type, a config
    /// and at most 10000 layers whose descriptors have a media type, a sha256 digest and a size ≥ 0; no duplicate
    /// keys. Unknown properties are ignored as the spec requires.
    /// </summary>
    /// <exception cref="InvalidDataException">One line, "SOURCE: ...".</exception>
    public static OciManifest Parse(ReadOnlySpan<byte> json, string source) => OciManifestJson.Parse(json, source);
}
