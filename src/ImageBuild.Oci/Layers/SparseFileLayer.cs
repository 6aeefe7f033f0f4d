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
    public static LayerWriteResult Write(string sourcePath, string entryName, Stream destination, CancellationToken ct, int level = DefaultLevel)
    {
        if (LayerEntryName.Problem(entryName) is { } problem)
            throw new ArgumentException($"layer entry name '{entryName}' {problem}", nameof(entryName));
        using var zstd = new CompressionStream(destination, level, leaveOpen: true);
        using var tar = new DigestingWriteStream(zstd);
        long dataBytes = new LayerTarWriter(tar).Write(sourcePath, entryName, ct);
        tar.Flush();
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
    public static string Extract(Stream layer, string destinationPath, long maxFileSize, string source, CancellationToken ct)
    {
        bool created = false;
        try
        {
            using var zstd = new DecompressionStream(layer, leaveOpen: true);
            return new LayerTarReader(zstd, source).Extract(destinationPath, maxFileSize, ct, out created);
        }
        catch (Exception e) when (created || e is ZstdException or EndOfStreamException)
        {
            if (created) File.Delete(destinationPath);
            throw e switch
            {
                ZstdException => new InvalidDataException($"{source}: the layer is not valid zstd data"),
                EndOfStreamException => new InvalidDataException($"{source}: the layer ends early (truncated zstd stream)"),
                _ => e,
            };
        }
    }
}
