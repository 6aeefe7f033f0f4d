using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Bochs;

/// <summary>
/// The bochs driver as qemu-img 7.2 has it (block/bochs.c): growing redologs of version 1 and 2, read-only; no
/// create, no check, no resize, no measure, no block status (every range reads as data).
/// </summary>
public sealed class BochsFormat : ImageFormat
{
    public override string Name => "bochs";

    public override FormatCapabilities Capabilities { get; } = new(FormatFeatures.None, "img");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => BochsProbe.Score(header, filename);

    public override BlockDevice Open(OpenRequest request) => new BochsDevice(request);
}
