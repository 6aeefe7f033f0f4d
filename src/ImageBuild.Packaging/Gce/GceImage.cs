using System.Globalization;

namespace ImageBuild.Packaging.Gce;

/// <summary>
/// What Google Compute Engine accepts as an image file to import from Cloud Storage, and how a source image becomes
/// one. We cannot run GCE here: each rule names the document it follows.
/// <list type="bullet">
/// <item>One file named <c>disk.raw</c> holding the disk's raw bytes, in a gzip-compressed tar: "The disk image
/// filename must be disk.raw" and the archive is made with <c>tar --format=oldgnu -Sczf compressed-image.tar.gz
/// disk.raw</c> ("Import a boot disk image to Compute Engine: manually create the image file",
/// https://cloud.google.com/compute/docs/import/import-existing-image#create_image_file; also "For a disk to be
/// imported as a Compute Engine image, the disk's bytes must be written to a file named disk.raw ... archived using
/// the tar format and then compressed using the GZIP format", https://cloud.google.com/compute/docs/images/image-management-best-practices).
/// The GNU old format with sparse members, as that command writes it, is what <see cref="GceTarWriter"/> writes.</item>
/// <item>A size in whole GB, where Compute Engine's GB is 2^30 bytes: persistent disks and images are sized in whole
/// GB, and the import page above asks for a raw disk whose size is a multiple of 1 GB. The source's size is rounded
/// <b>up</b>: the guest sees its disk unchanged, followed by zeros it never used; a source under 1 GiB becomes
/// 1 GiB (a disk of 0 GB does not exist).</item>
/// <item>At most 2048 GiB (2 TB), the import's limit on the raw disk as we read that page. Larger sources are
/// refused. (These two size rules could not be re-checked against the live page where this was written: if Google
/// changes them, they change here only.)</item>
/// </list>
/// </summary>
public static class GceImage
{
    public const long GiB = 1L << 30;

    /// <summary>The one member of the tarball (GCE looks for it by name).</summary>
    public const string DiskFileName = "disk.raw";

    /// <summary>The format of <see cref="DiskFileName"/>: a raw disk.</summary>
    public const string Format = "raw";

    /// <summary>The smallest image: 1 GiB.</summary>
    public const long MinimumVirtualSize = GiB;

    /// <summary>The largest image: 2048 GiB.</summary>
    public const long MaximumVirtualSize = 2048 * GiB;

    /// <summary>
    /// The size of disk.raw made from a source of <paramref name="sourceSize"/> bytes: rounded up to whole GiB, at
    /// least 1 GiB; null when it would exceed <see cref="MaximumVirtualSize"/>.
    /// </summary>
    public static long? VirtualSizeFor(long sourceSize)
    {
        if (sourceSize < 0 || sourceSize > MaximumVirtualSize) return null;
        long rounded = (sourceSize + GiB - 1) / GiB * GiB;
        return Math.Max(rounded, MinimumVirtualSize);
    }

    /// <summary>Why a source of this size cannot become a GCE image (one line, after <paramref name="sourceName"/>: "'from: big'"), or null when it can.</summary>
    public static string? Refusal(string sourceName, long sourceSize) =>
        VirtualSizeFor(sourceSize) is not null ? null
            : $"{sourceName} is {Bytes(sourceSize)}; a Compute Engine image tarball holds a disk of at most {Bytes(MaximumVirtualSize)} (2048 GiB)";

    /// <summary>What the packager writes, for plans and summaries.</summary>
    public static string Describe(long sourceSize) => VirtualSizeFor(sourceSize) is not { } v
        ? Refusal("the input", sourceSize)!
        : $"{DiskFileName} of {v / GiB} GiB ({Bytes(v)}) from {Bytes(sourceSize)}" +
          (v == sourceSize ? "" : sourceSize < MinimumVirtualSize ? ", grown to 1 GiB" : ", rounded up to whole GiB") +
          ", in a gzip-compressed GNU tar (sparse)";

    private static string Bytes(long n) => n.ToString(CultureInfo.InvariantCulture) + " bytes";
}
