namespace ImageBuild.Oci.Layers;

/// <summary>A run of bytes of a file that the layer stores: <see cref="Length"/> bytes from <see cref="Offset"/>.</summary>
public readonly record struct DataExtent(long Offset, long Length)
{
    /// <summary>The offset just past the run.</summary>
    public long End => Offset + Length;
}
