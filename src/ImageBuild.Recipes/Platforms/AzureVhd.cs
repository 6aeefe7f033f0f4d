using System.Globalization;

namespace ImageBuild.Recipes.Platforms;

/// <summary>
/// What Azure accepts as an uploaded disk, and how any source image becomes one (the <c>azure-vhd</c> step). We
/// cannot run Azure here: each rule below names the document it follows.
/// <list type="bullet">
/// <item>A <b>fixed</b> VHD (VHD 1.0 specification, "Fixed Hard Disk Image": the data, then the 512-byte footer, no
/// other structure). Azure's upload takes fixed VHDs only: <c>Add-AzVhd</c> converts a dynamic VHD to fixed before it
/// uploads ("Additionally, Add-AzVhd will convert dynamically sized VHD files to fixed size",
/// https://learn.microsoft.com/powershell/module/az.compute/add-azvhd).</item>
/// <item>A virtual size that is a whole number of MiB: "All VHDs on Azure must have a virtual size aligned to 1 MB"
/// (https://learn.microsoft.com/azure/virtual-machines/linux/create-upload-generic, "Resizing VHDs"); the file is
/// "N * MiB + 512 bytes" (Add-AzVhd, above). The source's size is rounded <b>up</b>: the guest sees its disk
/// unchanged, followed by zeros.</item>
/// <item>The footer's current size is that exact size, not one rounded to a CHS geometry: the VHD is created with
/// qemu's <c>force_size=on</c> (creator application <c>qem2</c>, whose current size readers take as the size). A
/// CHS-rounded size is rarely a whole MiB, which is why Azure refuses plain <c>qemu-img convert -O vpc</c> output.</item>
/// <item>Between 20 MiB and 32 TiB: "between 20972032 (20 MiB + 512 bytes for the VHD footer) and 35183298347520
/// bytes (32 TiB + 512 bytes for the VHD footer)" (upload size of a managed disk,
/// https://learn.microsoft.com/dotnet/api/azure.resourcemanager.compute.models.diskcreationdata.uploadsizebytes).
/// Below 20 MiB the disk is <b>grown</b> to 20 MiB, the same operation as the MiB rounding (zeros after the guest's
/// data, which the guest never used), rather than refused: a small disk is a valid wish (a data disk, a test image)
/// and refusing would only make the recipe add a resize step that does the same.</item>
/// <item>At most 2040 GiB in practice: a VHD's size is limited by the format as Microsoft's products and qemu write
/// it (0xFF000000 sectors = 2040 GiB; qemu 7.2's vpc refuses more, "The image size is too large for file format
/// 'vpc'"), below Azure's 32 TiB. Larger sources are refused with the step's place in the recipe (Azure takes larger
/// disks only through other routes).</item>
/// </list>
/// </summary>
public static class AzureVhd
{
    public const long MiB = 1024 * 1024;

    /// <summary>The format written: vpc, qemu's name for VHD.</summary>
    public const string Format = "vpc";

    /// <summary>The VHD footer at the end of a fixed VHD (VHD 1.0 specification, "Hard Disk Footer Format").</summary>
    public const int FooterSize = 512;

    /// <summary>Azure's smallest upload: 20 MiB of data (UploadSizeBytes ≥ 20 MiB + 512).</summary>
    public const long MinimumVirtualSize = 20 * MiB;

    /// <summary>Azure's largest upload: 32 TiB of data (UploadSizeBytes ≤ 32 TiB + 512).</summary>
    public const long AzureMaximumVirtualSize = 32L * 1024 * 1024 * MiB;

    /// <summary>The largest VHD: 0xFF000000 sectors of 512 bytes (2040 GiB), qemu's VHD_MAX_SECTORS.</summary>
    public const long VhdMaximumVirtualSize = 0xFF000000L * 512;

    /// <summary>The largest virtual size of an Azure VHD this step writes: the smaller of the two limits.</summary>
    public static long MaximumVirtualSize => Math.Min(AzureMaximumVirtualSize, VhdMaximumVirtualSize);

    /// <summary>vpc create options: fixed, and the exact size in the footer (no CHS rounding).</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> CreateOptions =
    [
        new("subformat", "fixed"),
        new("force_size", "on"),
    ];

    /// <summary>
    /// The virtual size of the Azure VHD made from a source of <paramref name="sourceSize"/> bytes: rounded up to whole
    /// MiB, at least 20 MiB; null when it would exceed <see cref="MaximumVirtualSize"/>.
    /// </summary>
    public static long? VirtualSizeFor(long sourceSize)
    {
        if (sourceSize < 0 || sourceSize > MaximumVirtualSize) return null;
        long rounded = (sourceSize + MiB - 1) / MiB * MiB;
        return rounded > MaximumVirtualSize ? null : Math.Max(rounded, MinimumVirtualSize);
    }

    /// <summary>The file length of the Azure VHD of a given virtual size: the data and the footer.</summary>
    public static long FileLengthFor(long virtualSize) => virtualSize + FooterSize;

    /// <summary>Why a source of this size cannot become an Azure VHD (one line, after <paramref name="sourceName"/>: "'from: big'"), or null when it can.</summary>
    public static string? Refusal(string sourceName, long sourceSize) =>
        VirtualSizeFor(sourceSize) is not null ? null
            : $"{sourceName} is {Bytes(sourceSize)}; an Azure VHD holds at most {Bytes(MaximumVirtualSize)} " +
              "(2040 GiB: the VHD format's limit, below Azure's 32 TiB for uploads)";

    /// <summary>What the step writes, for plans and summaries.</summary>
    public static string Describe(long sourceSize) => VirtualSizeFor(sourceSize) is not { } v
        ? Refusal("the input", sourceSize)!
        : $"fixed VHD of {v / MiB} MiB ({Bytes(v)}; file {Bytes(FileLengthFor(v))}) from {Bytes(sourceSize)}" +
          (v == sourceSize ? "" : v == MinimumVirtualSize && sourceSize < MinimumVirtualSize ? ", grown to Azure's 20 MiB minimum" : ", rounded up to whole MiB");

    internal static string Bytes(long n) => n.ToString(CultureInfo.InvariantCulture) + " bytes";
}
