using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// PLACEHOLDER of the SPARSE helper's VmdkFormat (branch i15-sparse): registration and open only, so that the device
/// can be tested on this branch. The lead takes the SPARSE helper's file at merge.
/// </summary>
public sealed class VmdkFormat : ImageFormat
{
    public override string Name => "vmdk";

    public override FormatCapabilities Capabilities { get; } = new(FormatFeatures.Write | FormatFeatures.Backing | FormatFeatures.Check, "vmdk");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => VmdkProbe.Score(header, filename);

    public override BlockDevice Open(OpenRequest request) => VmdkDevice.Open(request);
}
