namespace ImageBuild.Oci.Artifacts;

/// <summary>
/// An artifact to push: its artifactType, its config blob (media type and bytes), the files that become its
/// layers (in this order) and the manifest's annotations.
/// </summary>
public sealed record ArtifactToPush(string ArtifactType, string ConfigMediaType, ReadOnlyMemory<byte> Config,
    IReadOnlyList<ArtifactFile> Files, IReadOnlyDictionary<string, string>? Annotations = null);
