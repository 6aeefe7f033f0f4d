namespace ImageBuild.Engine.Compression;

/// <summary>
/// Compresses and decompresses single qcow2 clusters the way qemu does (block/qcow2-threads.c). Each cluster is
/// encoded on its own. Instances are thread-safe: convert may share one between its worker threads.
/// </summary>
public abstract class ClusterCompressor
{
    /// <summary>errno EIO: qemu fails a read of an undecodable compressed cluster with "Input/output error".</summary>
    public const int Eio = 5;

    public abstract ClusterCompressionType Type { get; }

    /// <summary>The stream each unit is stored in, its window, and whether a unit may be stored larger than its input.</summary>
    public abstract CompressionScheme Scheme { get; }

    /// <summary>
    /// Compresses one whole cluster into <paramref name="dest"/>. Returns the compressed length, or -1 when the
    /// result does not fit in <paramref name="dest"/> or, unless the scheme lets units expand, would not be strictly
    /// smaller than the cluster (qemu then writes the cluster uncompressed: at most <c>cluster.Length - 1</c> bytes).
    /// </summary>
    public int Compress(ReadOnlySpan<byte> cluster, Span<byte> dest)
    {
        if (cluster.IsEmpty) throw new ArgumentException("cluster is empty", nameof(cluster));
        int room = Scheme.MayExpand ? dest.Length : Math.Min(dest.Length, cluster.Length - 1);
        if (room <= 0) return -1;
        return CompressCore(cluster, dest[..room]);
    }

    /// <summary>
    /// Decodes one compressed cluster into exactly <c>cluster.Length</c> bytes. <paramref name="src"/> is what the
    /// L2 descriptor covers (whole 512-byte sectors) and may carry trailing bytes past the end of the stream.
    /// Returns false when the data does not decode to exactly one cluster (qemu: -EIO).
    /// </summary>
    public abstract bool TryDecompress(ReadOnlySpan<byte> src, Span<byte> cluster);

    /// <summary><see cref="TryDecompress"/>, throwing an <see cref="ImageException"/> (Errno EIO) on bad data.</summary>
    public void Decompress(ReadOnlySpan<byte> src, Span<byte> cluster)
    {
        if (!TryDecompress(src, cluster))
            throw new ImageException($"Could not decompress a {Type.ToString().ToLowerInvariant()} compressed cluster: Input/output error") { Errno = Eio };
    }

    /// <summary>Compresses into <paramref name="dest"/> (already limited to cluster-1 bytes); -1 when it does not fit.</summary>
    protected abstract int CompressCore(ReadOnlySpan<byte> cluster, Span<byte> dest);

    /// <summary>
    /// The compressor for an image's compression_type, deflating with <paramref name="deflate"/> (reading is the same
    /// either way); throws <see cref="ImageException"/> for an unknown type.
    /// </summary>
    public static ClusterCompressor Create(ClusterCompressionType type, DeflateLibrary deflate = DeflateLibrary.SystemZlib) => type switch
    {
        ClusterCompressionType.Zlib => new DeflateClusterCompressor(DeflateClusterCompressor.DefaultLevel, deflate),
        ClusterCompressionType.Zstd => new ZstdClusterCompressor(),
        _ => throw new ImageException($"Unknown compression type {(byte)type}"),
    };
}
