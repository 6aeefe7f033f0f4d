namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// What an ISO 9660 image records besides its tree. Every date in the image (volume descriptors, directory records,
/// Rock Ridge TF) is <see cref="TimestampSeconds"/>; nothing is read from the clock or the host.
/// </summary>
public sealed record IsoOptions
{
    /// <summary>
    /// The volume identifier: upper-cased to d-characters (ECMA-119 7.4.1, others become '_', at most 32) for the
    /// Primary Volume Descriptor, as given (at most 16 UCS-2 characters) for the Joliet one. "cidata" for NoCloud seeds.
    /// </summary>
    public required string VolumeLabel { get; init; }

    /// <summary>Seconds since the Unix epoch (SOURCE_DATE_EPOCH) for every date; years 1900 to 2155.</summary>
    public long TimestampSeconds { get; init; }

    /// <summary>Rock Ridge (IEEE P1282 over SUSP P1281) entries in the primary hierarchy: names, modes, owners, symlinks.</summary>
    public bool RockRidge { get; init; } = true;

    /// <summary>A Joliet Supplementary Volume Descriptor and hierarchy (UCS-2 names of up to 64 characters).</summary>
    public bool Joliet { get; init; } = true;
}

/// <summary>What <see cref="IsoWriter.Write"/> wrote: the image's byte length and how many regular files it holds.</summary>
public sealed record IsoResult(long Size, int FileCount);
