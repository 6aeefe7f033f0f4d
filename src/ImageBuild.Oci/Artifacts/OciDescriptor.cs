namespace ImageBuild.Oci.Artifacts;

/// <summary>An OCI content descriptor (image-spec descriptor.md): what a blob or manifest is, its digest and size.</summary>
public sealed record OciDescriptor(string MediaType, string Digest, long Size)
{
    public string? ArtifactType { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
