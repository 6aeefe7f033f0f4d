namespace ImageBuild.Oci.Artifacts;

/// <summary>A manifest found under a tag (or digest), with the digest it has.</summary>
public sealed record FoundArtifact(string ManifestDigest, OciManifest Manifest);
