namespace ImageBuild.Oci.Artifacts;

/// <summary>A pushed artifact: the digest of its manifest and the manifest.</summary>
public sealed record PushedArtifact(string ManifestDigest, OciManifest Manifest);
