namespace ImageBuild.Oci.Layers;

/// <summary>
/// A file's runs of non-zero 4 KiB blocks given by the caller (who found them while hashing the file) instead of
/// scanned: checked to have the shape <see cref="ZeroBlockScanner"/> gives (block-aligned starts, ends on a block
/// boundary or at the file's end, in order, adjacent runs merged) so that the blob is byte for byte the one a scan
/// would make; their content is trusted for the layout (the bytes outside them are not read), and every block
/// streamed is still tested, so a run holding a zero block fails the write.
/// </summary>
internal static class KnownExtents
{
    /// <summary>The runs as a map.</summary>
    /// <exception cref="ArgumentException">The runs are not the non-zero block runs of a file of this length.</exception>
    public static SparseMap ToMap(IReadOnlyList<DataExtent> extents, long length, string displayPath)
    {
        const int Block = ZeroBlockScanner.BlockSize;
        var map = new SparseMap();
        long previousEnd = -1;
        for (int i = 0; i < extents.Count; i++)
        {
            DataExtent e = extents[i];
            bool shaped = e.Offset >= 0 && e.Length > 0 && e.Offset % Block == 0 && e.Offset > previousEnd
                && e.Length <= length - e.Offset && (e.End % Block == 0 || e.End == length);
            if (!shaped)
                throw new ArgumentException($"{displayPath}: known extent {i} ({e.Offset}+{e.Length}) is not a run of 4 KiB blocks of a {length}-byte file, in order and apart from the previous one", nameof(extents));
            if (!map.TryAdd(e))
                throw new ArgumentException($"{displayPath}: more than {SparseMap.MaxEntries} known extents", nameof(extents));
            previousEnd = e.End;
        }
        return map;
    }

    /// <summary>Every block of <paramref name="data"/> (read at the block-aligned <paramref name="offset"/>) must hold a non-zero byte.</summary>
    /// <exception cref="IOException">One does not: the extents were not this file's.</exception>
    public static void CheckNoZeroBlock(ReadOnlySpan<byte> data, long offset, string displayPath)
    {
        for (int b = 0; b < data.Length; b += ZeroBlockScanner.BlockSize)
        {
            if (!data.Slice(b, Math.Min(ZeroBlockScanner.BlockSize, data.Length - b)).ContainsAnyExcept((byte)0))
                throw new IOException($"{displayPath}: the block at offset {offset + b} is all zeros but the extents given for the file say it holds data (the file changed after they were found)");
        }
    }
}
