namespace Cake.ImageBuild;

/// <summary>Compression of a converted image (<c>qemu-img convert -c -o compression_type=…</c>).</summary>
public enum ImageBuildCompression
{
    /// <summary>No compression.</summary>
    None,
    /// <summary>qcow2 compressed clusters, zlib (qemu's default compression type).</summary>
    Zlib,
    /// <summary>qcow2 compressed clusters, zstd.</summary>
    Zstd,
}

/// <summary>Settings for <c>ImageBuildConvert</c> (as <c>qemu-img convert</c>).</summary>
public class ImageBuildConvertSettings : ImageBuildOperationSettings
{
    /// <summary>
    /// Output format (<c>-O</c>); null: the format the output's extension names (<c>disk.qcow2</c>: qcow2), else raw
    /// as qemu-img (qcow2 when <see cref="Compression"/> is set). A format the extension contradicts is refused.
    /// </summary>
    public string? Format { get; set; }

    /// <summary>Compress the output (<c>-c</c>); only for qcow2.</summary>
    public ImageBuildCompression Compression { get; set; }

    /// <summary>Output creation options (<c>-o NAME=VALUE</c>), in order.</summary>
    public IDictionary<string, string> Options { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
