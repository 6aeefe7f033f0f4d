namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// Makes an image of a read-only format from raw content: <paramref name="rawPath"/> (a file whose length is a
/// multiple of 64 KiB) becomes <paramref name="imagePath"/>, by a tool (create_compressed_fs) or a test-side writer
/// (BochsBuilder). qemu-img reading the image back as the raw content is checked by every case that uses it.
/// </summary>
public delegate void ImageMaker(string rawPath, string imagePath);

/// <summary>
/// A row of the read-only contract: a format qemu-img 7.2 reads but cannot create or write (bochs, cloop, dmg), so
/// the images come from <see cref="Make"/> instead of qemu-img create and qemu-io. The read cases run on them
/// (convert -O raw, compare, info, map, check as qemu-img), and every write and create is refused as qemu refuses it.
/// Adding such a format means adding one of these to <see cref="FormatProfiles.ReadOnly"/>.
/// </summary>
/// <param name="Name">qemu's driver name (`-f`).</param>
/// <param name="Make">Raw content to image.</param>
public sealed record ReadOnlyFormatProfile(string Name, ImageMaker Make)
{
    /// <summary>File name extension used for the images the cases make.</summary>
    public string Extension { get; init; } = Name;

    public override string ToString() => Name;
}
