namespace ImageBuild.Engine.Block;

/// <summary>What a format driver can do, declared once by the driver (qemu's BlockDriver callbacks that are set).</summary>
[Flags]
public enum FormatFeatures
{
    None = 0,

    /// <summary>Images can be opened for writing (bdrv_co_pwritev).</summary>
    Write = 1 << 0,

    /// <summary>Images can be created (bdrv_co_create_opts).</summary>
    Create = 1 << 1,

    /// <summary>Images can name a backing file (supports_backing).</summary>
    Backing = 1 << 2,

    /// <summary>Clusters can be stored compressed (convert -c; bdrv_co_pwritev_compressed).</summary>
    CompressedWrites = 1 << 3,

    /// <summary>Internal snapshots (snapshot -c/-a/-d/-l).</summary>
    InternalSnapshots = 1 << 4,

    /// <summary>Persistent dirty bitmaps (bitmap, convert --bitmaps); reached through <see cref="IPersistentBitmaps"/>.</summary>
    PersistentBitmaps = 1 << 5,

    /// <summary>check (bdrv_co_check); without it qemu-img check exits 63.</summary>
    Check = 1 << 6,

    /// <summary>The virtual size can grow (bdrv_co_truncate).</summary>
    Grow = 1 << 7,

    /// <summary>The virtual size can shrink.</summary>
    Shrink = 1 << 8,

    /// <summary>measure (bdrv_measure).</summary>
    Measure = 1 << 9,

    /// <summary>amend (bdrv_amend_options).</summary>
    Amend = 1 << 10,

    /// <summary>Guest data may live in a separate file the image names (qcow2 data_file).</summary>
    ExternalDataFile = 1 << 11,

    /// <summary>Emptied after commit (bdrv_make_empty).</summary>
    MakeEmpty = 1 << 12,
}

/// <summary>
/// A driver's capabilities: its features, the file extension images of the format usually carry, and how it
/// compresses data when it can. Everything outside <c>Formats/</c> asks these instead of comparing format names.
/// </summary>
/// <param name="Features">What the driver can do.</param>
/// <param name="FileExtension">The usual extension, without the dot ("qcow2", "vdi", "img" for raw).</param>
/// <param name="Compression">How compressed writes are encoded; null when the format has none.</param>
public sealed record FormatCapabilities(FormatFeatures Features, string FileExtension, Compression.CompressionScheme? Compression = null)
{
    public bool Has(FormatFeatures feature) => (Features & feature) == feature;

    /// <summary>Whether an image can be opened read-write at all.</summary>
    public bool CanWrite => Has(FormatFeatures.Write);

    /// <summary>Whether the format is a target for output images (create and write).</summary>
    public bool IsWritableTarget => Has(FormatFeatures.Create | FormatFeatures.Write);
}
