using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Parallels;

/// <summary>
/// The parallels driver as qemu-img 7.2 has it: read (both magics), write, create, check and check -r; no resize,
/// no measure, no info block; backing files only when given at open (the header cannot name one).
/// </summary>
public sealed class ParallelsFormat : ImageFormat
{
    public override string Name => "parallels";

    public override FormatCapabilities Capabilities { get; } = new(
        FormatFeatures.Write | FormatFeatures.Create | FormatFeatures.Check, "hdd");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => ParallelsProbe.Score(header, filename);

    /// <summary>qemu's parallels_create_opts, in table order.</summary>
    public override IReadOnlyList<CreateOption> CreateOptions { get; } =
    [
        new("size", OptionType.Size, "Virtual disk size"),
        new("cluster_size", OptionType.Size, "Parallels image cluster size", "1048576"),
    ];

    public override BlockDevice Open(OpenRequest request) => new ParallelsDevice(request);

    public override void Create(CreateRequest request) => ParallelsCreator.Create(request);
}
