using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// The QED driver (qemu's block/qed.c in 7.2): read, write, create, check, grow, backing files. QED has neither
/// measure, amend nor make_empty in qemu, so commit keeps the committed image's data.
/// </summary>
public sealed class QedFormat : ImageFormat
{
    public override string Name => "qed";

    public override FormatCapabilities Capabilities { get; } = new(
        FormatFeatures.Write | FormatFeatures.Create | FormatFeatures.Backing | FormatFeatures.Check | FormatFeatures.Grow,
        "qed");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => QedProbe.Score(header, filename);

    /// <summary>qed_create_opts in qemu's table order (the order of the "Formatting" line).</summary>
    public override IReadOnlyList<CreateOption> CreateOptions { get; } =
    [
        new("size", OptionType.Size, "Virtual disk size"),
        new("backing_file", OptionType.String, "File name of a base image"),
        new("backing_fmt", OptionType.String, "Image format of the base image"),
        new("cluster_size", OptionType.Size, "Cluster size (in bytes)", QedHeader.DefaultClusterSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("table_size", OptionType.Size, "L1/L2 table size (in clusters)"),
    ];

    public override BlockDevice Open(OpenRequest request) => new QedDevice(request);

    public override void Create(CreateRequest request) => QedCreator.Create(request);
}
