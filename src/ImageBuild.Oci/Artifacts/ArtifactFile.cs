namespace ImageBuild.Oci.Artifacts;

/// <summary>
/// One host file to push as a layer: <paramref name="Name"/> is its title (the file name it restores to),
/// <paramref name="Path"/> where it is now, <paramref name="MediaType"/> the layer media type
/// (<see cref="OciMediaTypes.DiskLayer"/>). <paramref name="KnownDigest"/>, when given, is the digest of the layer
/// blob from an earlier push of the same bytes: the store asks the registry for it first and does not read the
/// file when the registry has it.
/// </summary>
public sealed record ArtifactFile(string Name, string Path, string MediaType, string? KnownDigest = null)
{
    /// <summary>
    /// The file's runs of non-zero 4 KiB blocks, when whoever pushes it found them already (while hashing it): the
    /// layer is then written without a scan, reading the file once
    /// (<see cref="Layers.SparseFileLayer.Write(string, string, Stream, IReadOnlyList{Layers.DataExtent}?, CancellationToken, int)"/>,
    /// which says how far they are trusted). Null: the file is scanned.
    /// </summary>
    public IReadOnlyList<Layers.DataExtent>? KnownExtents { get; init; }
}
