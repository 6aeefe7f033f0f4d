using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// The vhdx driver (Hyper-V images) as qemu-img 7.2 has it — read, write, create, check; no resize, measure or
/// amend — and beyond it: a read-only open of an image with a pending log replays it in memory, and differencing
/// images are read (with their parent).
/// </summary>
public sealed class VhdxFormat : ImageFormat
{
    public override string Name => "vhdx";

    public override FormatCapabilities Capabilities { get; } = new(
        FormatFeatures.Write | FormatFeatures.Create | FormatFeatures.Check, "vhdx");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => VhdxProbe.Score(header, filename);

    /// <summary>qemu's vhdx_create_opts in table order (the Formatting line's), then ImageBuild's two sector size options.</summary>
    public override IReadOnlyList<CreateOption> CreateOptions { get; } =
    [
        new("size", OptionType.Size, "Virtual disk size; max of 64TB."),
        new("log_size", OptionType.Size, "Log size; min 1MB.", "1048576"),
        new("block_size", OptionType.Size, "Block Size; min 1MB, max 256MB. 0 means auto-calculate based on image size.", "0"),
        new("subformat", OptionType.String, "VHDX format type, can be either 'dynamic' or 'fixed'. Default is 'dynamic'."),
        new("block_state_zero", OptionType.Bool,
            "Force use of payload blocks of type 'ZERO'. Non-standard, but default.  Do not set to 'off' when using 'qemu-img convert' with subformat=dynamic."),
        // not qemu's: ImageBuild extensions, without a default so that the Formatting line stays qemu's
        new("logical_sector_size", OptionType.Size,
            "Logical sector size, 512 (default) or 4096 (Hyper-V 4Kn disks); an ImageBuild extension, not in qemu-img"),
        new("physical_sector_size", OptionType.Size,
            "Physical sector size, 512 (default, as qemu-img writes) or 4096; an ImageBuild extension, not in qemu-img"),
    ];

    public override BlockDevice Open(OpenRequest request) => new VhdxDevice(request);

    public override void Create(CreateRequest request) => VhdxCreator.Create(request);
}
