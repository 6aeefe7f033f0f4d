using ImageBuild.Engine.Operations;

namespace Cake.ImageBuild;

/// <summary>What <c>qemu-img info</c> reports about one image.</summary>
public sealed class ImageBuildImageInfo
{
    /// <summary>The image file as opened.</summary>
    public required string Filename { get; init; }

    /// <summary>The image format (raw, qcow2…).</summary>
    public required string Format { get; init; }

    /// <summary>Guest-visible size in bytes.</summary>
    public long VirtualSize { get; init; }

    /// <summary>Host disk usage in bytes; null when unavailable.</summary>
    public long? ActualSize { get; init; }

    /// <summary>Cluster size in bytes; null for formats without clusters.</summary>
    public long? ClusterSize { get; init; }

    /// <summary>The image's dirty flag; null when the format has none.</summary>
    public bool? DirtyFlag { get; init; }

    /// <summary>True for encrypted images.</summary>
    public bool Encrypted { get; init; }

    /// <summary>The backing file name as stored in the image; null without backing file.</summary>
    public string? BackingFilename { get; init; }

    /// <summary>The backing file's resolved path.</summary>
    public string? FullBackingFilename { get; init; }

    /// <summary>The backing file's format as stored in the image.</summary>
    public string? BackingFormat { get; init; }

    /// <summary>Names of the internal snapshots (empty when there are none).</summary>
    public IReadOnlyList<string> Snapshots { get; init; } = [];

    /// <summary>Format-specific fields by qemu's names (qcow2: <c>compat</c>, <c>compression-type</c>, <c>lazy-refcounts</c>…); empty when none.</summary>
    public IReadOnlyDictionary<string, object> FormatSpecific { get; init; } = new Dictionary<string, object>();

    /// <summary>With <see cref="ImageBuildInfoSettings.BackingChain"/>: the images below this one, nearest first; otherwise empty.</summary>
    public IReadOnlyList<ImageBuildImageInfo> BackingChain { get; init; } = [];

    /// <inheritdoc/>
    public override string ToString() => $"{Filename}: {Format}, virtual size {VirtualSize}" + (BackingFilename is null ? "" : $", backing file {BackingFilename}");

    internal static ImageBuildImageInfo From(ImageInfo info, IReadOnlyList<ImageBuildImageInfo> chain) => new()
    {
        Filename = info.Filename,
        Format = info.Format,
        VirtualSize = info.VirtualSize,
        ActualSize = info.ActualSize,
        ClusterSize = info.ClusterSize,
        DirtyFlag = info.DirtyFlag,
        Encrypted = info.Encrypted == true,
        BackingFilename = info.BackingFilename,
        FullBackingFilename = info.FullBackingFilename,
        BackingFormat = info.BackingFilenameFormat,
        Snapshots = info.Snapshots?.Select(s => s.Name).ToList() ?? [],
        FormatSpecific = info.FormatSpecific?.Data.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal) ?? new Dictionary<string, object>(),
        BackingChain = chain,
    };
}
