using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// The vmdk driver as qemu-img 7.2 has it: read and write (sparse, flat and stream-optimized extents), create (every
/// subformat qemu creates), backing files, compressed grains (convert -c; streamOptimized needs them), check. No
/// resize, measure, amend or internal snapshots.
/// </summary>
public sealed class VmdkFormat : ImageFormat
{
    public override string Name => "vmdk";

    public override FormatCapabilities Capabilities { get; } = new(
        FormatFeatures.Write | FormatFeatures.Create | FormatFeatures.Backing | FormatFeatures.CompressedWrites | FormatFeatures.Check,
        "vmdk", VmdkGrainCompressor.GrainScheme);

    public override int Probe(ReadOnlySpan<byte> header, string filename) => VmdkProbe.Score(header, filename);

    /// <summary>qemu's vmdk_create_opts in table order (the Formatting line's); help lists them sorted.</summary>
    public override IReadOnlyList<CreateOption> CreateOptions { get; } =
    [
        new("size", OptionType.Size, "Virtual disk size"),
        new("adapter_type", OptionType.String, "Virtual adapter type, can be one of ide (default), lsilogic, buslogic or legacyESX"),
        new("backing_file", OptionType.String, "File name of a base image"),
        new("backing_fmt", OptionType.String, "Must be 'vmdk' if present"),
        new("compat6", OptionType.Bool, "VMDK version 6 image", "off"),
        new("hwversion", OptionType.String, "VMDK hardware version", "undefined"),
        new("toolsversion", OptionType.String, "VMware guest tools version"),
        new("subformat", OptionType.String,
            "VMDK flat extent format, can be one of {monolithicSparse (default) | monolithicFlat | twoGbMaxExtentSparse | twoGbMaxExtentFlat | streamOptimized} "),
        new("zeroed_grain", OptionType.Bool, "Enable efficient zero writes using the zeroed-grain GTE feature"),
        // not qemu's: an ImageBuild extension, without a default so that the Formatting line stays qemu's
        new("stream_layout", OptionType.String,
            "streamOptimized layout, qemu (default: as qemu-img writes it) or vmware (grain directory at the end, markers, footer and end-of-stream marker, as VMware's tools write it); an ImageBuild extension, not in qemu-img"),
    ];

    public override BlockDevice Open(OpenRequest request) => VmdkDevice.Open(request);

    public override void Create(CreateRequest request) => VmdkCreator.Create(request);
}
