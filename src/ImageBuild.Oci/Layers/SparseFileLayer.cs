using ImageBuild.Engine.Compression;
using ZstdSharp;

namespace ImageBuild.Oci.Layers;

/// <summary>
/// The transport encoding of one host file as an OCI layer. A sparse disk image must not travel as its virtual
/// size, so a file is stored as a POSIX (PAX) tar holding that one file, compressed with zstd (level 3 by
/// default), media type ending in <see cref="MediaTypeSuffix"/>. The file is cut into 4 KiB blocks and runs of
/// all-zero blocks are left out with GNU tar's sparse format 1.0, so that GNU tar itself (`tar --zstd -xSf LAYER`)
/// restores the file, sparse, and nothing of ours is needed to read a pushed image. Holes are found with
/// SEEK_DATA/SEEK_HOLE and never read, but every block read is also tested for zeros, so the blob depends only on
/// the file's bytes: the same bytes give the same blob, byte for byte, whatever the hole layout and the machine
/// (mtime 0, uid/gid 0, no user or group names, mode 0644, PAX records in key order). A file without an all-zero
/// block is an ordinary PAX entry.
/// Why not the image format itself: a raw or qcow2 file still carries its zeros or its own allocation tables and
/// needs our reader; why not plain zstd of the file: its zeros would still be decompressed and written.
/// </summary>
public static class SparseFileLayer
{
    public const string MediaTypeSuffix = ".tar+zstd";

    /// <summary>The default zstd level.</summary>
    public const int DefaultLevel = 3;

    /// <summary>
    /// Writes <paramref name="sourcePath"/> as a zstd tar layer holding one entry named <paramref name="entryName"/>.
    /// The allocated ranges of the source are read twice, sequentially (once to find the all-zero blocks, whose map
    /// comes before the data in the tar, once to stream the data); holes are not read. Memory stays bounded (1 MiB
    /// buffers, 16 bytes per data run); <paramref name="destination"/> only receives writes (a pipe will do).
    /// </summary>
    /// <exception cref="ArgumentException">entryName is not a plain file name of at most 255 bytes.</exception>
    /// <exception cref="IOException">The source cannot be read, or changed while it was encoded.</exception>
    public static LayerWriteResult Write(string sourcePath, string entryName, Stream destination, CancellationToken ct, int level = DefaultLevel) =>
        Write(sourcePath, entryName, destination, knownExtents: null, ct, level);

    /// <summary>
    /// <see cref="Write(string, string, Stream, CancellationToken, int)"/>, given the source's runs of non-zero 4 KiB
    /// blocks when the caller already has them (it hashed the file and noted them): the file is then not scanned
    /// first, and its data is read once, as it streams. The runs must have the shape a scan gives (each starting on
    /// a 4 KiB boundary and ending on one or at the end of the file, in order, adjacent runs merged), else an
    /// <see cref="ArgumentException"/>; the blob is then byte for byte the one the scanning write makes.
    /// The runs are trusted for the layout only: bytes outside them are not read (zeros are assumed), and a block
    /// inside them that reads as zeros fails the write with an <see cref="IOException"/>. A stale map of a file
    /// changed since makes a blob that restores other bytes, which a puller checking the content hash rejects.
    /// Null <paramref name="knownExtents"/>: the file is scanned, as by the overload without them.
    /// </summary>
    public static LayerWriteResult Write(string sourcePath, string entryName, Stream destination, IReadOnlyList<DataExtent>? knownExtents, CancellationToken ct, int level = DefaultLevel)
    {
        if (LayerEntryName.Problem(entryName) is { } problem)
            throw new ArgumentException($"layer entry name '{entryName}' {problem}", nameof(entryName));
        var zstd = new CompressionStream(destination, level, leaveOpen: true);
        using var tar = new DigestingWriteStream(zstd);
        long dataBytes;
        try
        {
            dataBytes = new LayerTarWriter(tar).Write(sourcePath, entryName, knownExtents, ct);
        }
        catch (Exception failure)
        {
            // Ending the frame writes to the destination, which may be what failed: keep the first error.
            try
            {
                zstd.Dispose();
            }
            catch (Exception) when (failure is not null)
            {
                // the original failure is rethrown below
            }
            throw;
        }
        zstd.Dispose(); // ends the zstd frame
        return new LayerWriteResult(tar.Written, tar.FinishDigest(), dataBytes);
    }

    /// <summary>Extracts the single entry into destinationPath (created new; deleted again on any error). Returns the entry name.</summary>
    public static string Extract(Stream layer, string destinationPath, long maxFileSize, CancellationToken ct) =>
        Extract(layer, destinationPath, maxFileSize, "layer", ct);

    /// <summary>
    /// Extracts the single entry of a layer into <paramref name="destinationPath"/>, which must not exist; the file
    /// is written with holes where the layer leaves zeros out. Nothing in the layer is trusted (see
    /// <see cref="LayerTarReader"/>); anything wrong is an <see cref="InvalidDataException"/> with one line naming
    /// <paramref name="source"/>, and on any failure the destination is deleted again. Returns the entry's name.
    /// </summary>
    public static string Extract(Stream layer, string destinationPath, long maxFileSize, string source, CancellationToken ct) =>
        Extract(layer, destinationPath, maxFileSize, source, observer: null, ct);

    /// <summary>
    /// <see cref="Extract(Stream, string, long, string, CancellationToken)"/>, reporting to
    /// <paramref name="observer"/> every piece of data written, in the order written: offsets increase and pieces
    /// never overlap (the layer's map is checked for that before any data is written), and the file's bytes
    /// outside them are zeros (holes). So a hash of the file can be computed as it is extracted, without reading
    /// it back. An exception thrown by the observer stops the extraction (and deletes the file).
    /// </summary>
    public static string Extract(Stream layer, string destinationPath, long maxFileSize, string source, ExtractedDataObserver? observer, CancellationToken ct)
    {
        bool created = false;
        try
        {
            // The machine's libzstd decodes when it loads (a 1 GiB disk-image layer: ~0.82 s against ZstdSharp's
            // DecompressionStream ~0.97-1.19 s); the blob's bytes are ZstdSharp's either way, since only decoding
            // depends on the machine. Bad zstd data is an InvalidDataException naming the layer.
            using var zstd = ZstdDecodeStream.Open(layer, leaveOpen: true, $"{source}: the layer");
            return new LayerTarReader(zstd, source).Extract(destinationPath, maxFileSize, observer, ct, out created);
        }
        catch (Exception) when (created)
        {
            File.Delete(destinationPath);
            throw;
        }
    }
}
