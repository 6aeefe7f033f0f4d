using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>
/// The cloop driver as qemu-img 7.2 has it (block/cloop.c): V2.0 images of zlib blocks, read-only; no create, no
/// check, no resize, no measure, no block status (every range reads as data).
/// </summary>
public sealed class CloopFormat : ImageFormat
{
    public override string Name => "cloop";

    public override FormatCapabilities Capabilities { get; } = new(FormatFeatures.None, "cloop");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => CloopProbe.Score(header, filename);

    public override BlockDevice Open(OpenRequest request) => new CloopDevice(request);
}
