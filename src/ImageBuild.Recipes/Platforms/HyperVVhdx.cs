using System.Globalization;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Platforms;

/// <summary>
/// The VHDX Hyper-V is recommended to use (the <c>hyperv-vhdx</c> step): a preset of the vhdx create options, each
/// of which the step can change. We cannot run Hyper-V here: each default names the document it follows.
/// <list type="bullet">
/// <item><c>block-size</c> 1 MiB: for Linux guests Microsoft recommends 1 MB blocks instead of the 32 MB default, so
/// that a dynamic VHDX holding ext4 does not grow by a whole 32 MB block for each small write ("Best Practices for
/// running Linux on Hyper-V", "Tuning Linux File Systems on Dynamic VHDX Files": <c>New-VHD … -BlockSizeBytes 1MB</c>,
/// https://learn.microsoft.com/windows-server/virtualization/hyper-v/best-practices-for-running-linux-on-hyper-v).
/// The VHDX 1.0 specification ("File Parameters", BlockSize) allows a power of two from 1 MiB to 256 MiB; the vhdx
/// driver checks it.</item>
/// <item><c>logical-sector-size</c> 512 and <c>physical-sector-size</c> 4096: New-VHD's choices for a new VHDX
/// (https://learn.microsoft.com/powershell/module/hyper-v/new-vhd, -LogicalSectorSizeBytes / -PhysicalSectorSizeBytes,
/// 512 or 4096). The VHDX 1.0 specification ("Logical Sector Size", "Physical Sector Size" metadata items) allows only
/// 512 and 4096. A 4096-byte logical sector makes the guest see a 4Kn disk, which every OS boot path does not take:
/// choose it only for guests that want it. qemu 7.2 has neither option and always writes 512/4096; the vhdx driver
/// of this engine takes both (beyond qemu).</item>
/// <item><c>subformat</c> dynamic: Hyper-V's default and recommendation for VHDX (New-VHD creates dynamic disks
/// unless -Fixed). Fixed is there for hosts that want the space reserved.</item>
/// <item>The virtual size is the source's, rounded up to whole logical sectors (VHDX 1.0 "Virtual Disk Size": a
/// multiple of the logical sector size); the tail reads as zeros.</item>
/// </list>
/// </summary>
public static class HyperVVhdx
{
    /// <summary>The format written.</summary>
    public const string Format = "vhdx";

    public const long DefaultBlockSize = 1024 * 1024;
    public const int DefaultLogicalSectorSize = 512;
    public const int DefaultPhysicalSectorSize = 4096;
    public const string DefaultSubformat = "dynamic";

    /// <summary>vhdx create options the step's parameters set (the step's <c>options</c> may not set them again).</summary>
    public static readonly IReadOnlyDictionary<string, string> OptionOfParameter = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["subformat"] = "subformat",
        ["block_size"] = "block-size",
        ["logical_sector_size"] = "logical-sector-size",
        ["physical_sector_size"] = "physical-sector-size",
    };

    /// <summary>
    /// Block sizes the VHDX 1.0 specification allows ("BlockSize": a power of two, at least 1 MB and at most 256 MB).
    /// qemu rounds other sizes silently; a recipe that names one gets told instead of a block size it did not ask for.
    /// </summary>
    public static bool IsBlockSize(long n) => n is >= 1024 * 1024 and <= 256 * 1024 * 1024 && (n & (n - 1)) == 0;

    /// <summary>Sector sizes the VHDX 1.0 specification allows.</summary>
    public static bool IsSectorSize(long n) => n is 512 or 4096;

    public static int LogicalSectorSize(RecipeStep step) => (int)(step.Number("logical-sector-size") ?? DefaultLogicalSectorSize);

    /// <summary>The vhdx create options of a step: the preset with the step's parameters, then its other options.</summary>
    public static List<KeyValuePair<string, string>> CreateOptions(RecipeStep step)
    {
        var options = new List<KeyValuePair<string, string>>
        {
            new("subformat", step.Text("subformat") ?? DefaultSubformat),
            new("block_size", Text(step.Number("block-size") ?? DefaultBlockSize)),
            new("logical_sector_size", Text(LogicalSectorSize(step))),
            new("physical_sector_size", Text(step.Number("physical-sector-size") ?? DefaultPhysicalSectorSize)),
        };
        options.AddRange(step.Options());
        return options;
    }

    /// <summary>The VHDX's virtual size for a source of <paramref name="sourceSize"/> bytes: whole logical sectors.</summary>
    public static long VirtualSizeFor(long sourceSize, int logicalSectorSize) =>
        sourceSize > long.MaxValue - logicalSectorSize ? sourceSize
            : (sourceSize + logicalSectorSize - 1) / logicalSectorSize * logicalSectorSize;

    /// <summary>What the step writes, for plans.</summary>
    public static string Describe(RecipeStep step, long? sourceSize)
    {
        int logical = LogicalSectorSize(step);
        string size = sourceSize is { } s ? $"{VirtualSizeFor(s, logical)} bytes, " : "";
        return $"{step.Text("subformat") ?? DefaultSubformat} VHDX ({size}{(step.Number("block-size") ?? DefaultBlockSize) / 1024} KiB blocks, " +
               $"{logical}/{step.Number("physical-sector-size") ?? DefaultPhysicalSectorSize} logical/physical sectors)";
    }

    private static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);
}
