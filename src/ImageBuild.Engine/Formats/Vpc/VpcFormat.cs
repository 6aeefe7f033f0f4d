using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>
/// The vpc driver (Virtual PC / Hyper-V VHD) as qemu-img 7.2 has it: read, write, create (dynamic and fixed); no
/// check, resize or measure. Beyond qemu: differencing VHDs read through their parent, created with -b, rebased.
/// </summary>
public sealed class VpcFormat : ImageFormat
{
    public override string Name => "vpc";

    public override FormatCapabilities Capabilities { get; } = new(
        FormatFeatures.Write | FormatFeatures.Create | FormatFeatures.Backing, "vhd");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => VpcProbe.Score(header, filename);

    /// <summary>qemu's vpc_create_opts, in its order (a backing file is taken from -b, not from -o, as beyond qemu).</summary>
    public override IReadOnlyList<CreateOption> CreateOptions { get; } =
    [
        new("size", OptionType.Size, "Virtual disk size"),
        new("subformat", OptionType.String, "Type of virtual hard disk format. Supported formats are {dynamic (default) | fixed} "),
        new("force_size", OptionType.Bool, "Force disk size calculation to use the actual size specified, rather than using the nearest CHS-based calculation"),
    ];

    public override BlockDevice Open(OpenRequest request) => new VpcDevice(request);

    public override void Create(CreateRequest request) => VpcCreator.Create(request);
}
