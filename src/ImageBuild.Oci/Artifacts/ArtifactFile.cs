namespace ImageBuild.Oci.Artifacts;

/// <summary>
/// One host file to push as a layer: <paramref name="Name"/> is its title (the file name it restores to),
/// <paramref name="Path"/> where it is now, <paramref name="MediaType"/> the layer media type
/// (<see cref="OciMediaTypes.DiskLayer"/>). <paramref name="KnownDigest"/>, when given, is the digest of the layer
/// blob from an earlier push of the same bytes: the store asks the registry for it first and does not read the
/// file when the registry has it.
/// </summary>
public sealed record ArtifactFile(string Name, string Path, string MediaType, string? KnownDigest = null);
