using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// The dmg driver (Apple UDIF disk images), read-only as qemu-img 7.2's: probed by the file name alone, never created,
/// written, checked or measured. Beyond Debian's qemu-img it reads bzip2, lzfse, ADC and LZMA chunks.
/// </summary>
public sealed class DmgFormat : ImageFormat
{
    public override string Name => "dmg";

    public override FormatCapabilities Capabilities { get; } = new(FormatFeatures.None, "dmg");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => DmgProbe.Score(header, filename);

    public override BlockDevice Open(OpenRequest request) => new DmgDevice(request);
}
