namespace ImageBuild.Engine.Compression;

/// <summary>qcow2 header byte 104 (compression_type): how every compressed cluster of an image is encoded.</summary>
public enum ClusterCompressionType : byte
{
    /// <summary>Raw deflate (no zlib header) with a 4 KiB window, qemu's "zlib".</summary>
    Zlib = 0,

    /// <summary>One zstd frame per cluster.</summary>
    Zstd = 1,
}
