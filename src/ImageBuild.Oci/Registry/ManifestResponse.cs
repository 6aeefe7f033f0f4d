namespace ImageBuild.Oci.Registry;

/// <summary>A manifest as the registry served it: its bytes, Content-Type and sha256 digest (computed here).</summary>
public sealed record ManifestResponse(byte[] Content, string MediaType, string Digest);
