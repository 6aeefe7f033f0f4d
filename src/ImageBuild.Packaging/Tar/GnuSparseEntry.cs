namespace ImageBuild.Packaging.Tar;

/// <summary>
/// One entry of an old GNU sparse map (GNU tar's <c>struct sparse</c>: a 12-byte offset and a 12-byte numbytes):
/// <see cref="NumBytes"/> bytes of data stored for the file's bytes at <see cref="Offset"/>; everything not covered
/// reads as zeros.
/// </summary>
public readonly record struct GnuSparseEntry(long Offset, long NumBytes)
{
    /// <summary>The size of the entry on disk: two 12-byte numbers.</summary>
    public const int Size = 24;

    public long End => Offset + NumBytes;
}
