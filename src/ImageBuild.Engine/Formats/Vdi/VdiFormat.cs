using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Vdi;

/// <summary>The vdi driver (VirtualBox images) as qemu-img 7.2 has it: read, write, create, check; no resize, no measure.</summary>
public sealed class VdiFormat : ImageFormat
{
    public override string Name => "vdi";

    public override FormatCapabilities Capabilities { get; } = new(
        FormatFeatures.Write | FormatFeatures.Create | FormatFeatures.Check, "vdi");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => VdiProbe.Score(header, filename);

    /// <summary>qemu's vdi_create_opts (built without CONFIG_VDI_BLOCK_SIZE, so no cluster_size).</summary>
    public override IReadOnlyList<CreateOption> CreateOptions { get; } =
    [
        new("size", OptionType.Size, "Virtual disk size"),
        new("static", OptionType.Bool, "VDI static (pre-allocated) image", "off"),
    ];

    public override BlockDevice Open(OpenRequest request) => new VdiDevice(request);

    public override void Create(CreateRequest request) => VdiCreator.Create(request);
}
