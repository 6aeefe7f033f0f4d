using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Raw;

/// <summary>The raw format: guest bytes are the file's bytes. Probe score 1 (chosen only when nothing else matches).</summary>
public sealed class RawFormat : ImageFormat
{
    public override string Name => "raw";

    public override FormatCapabilities Capabilities { get; } = new(
        FormatFeatures.Write | FormatFeatures.Create | FormatFeatures.Grow | FormatFeatures.Shrink | FormatFeatures.Measure, "raw");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => 1;

    public override IReadOnlyList<CreateOption> CreateOptions { get; } =
    [
        new("size", OptionType.Size, "Virtual disk size"),
    ];

    public override BlockDevice Open(OpenRequest request) =>
        new RawDevice(request.Filename, request.File, !request.Writable, request.FormatProbed ? request.Context.Formats : null);

    public override void Create(CreateRequest request)
    {
        long size = Sectors.RoundUp(request.Size);
        using var file = FileProtocol.CreateFile(request, out var prealloc);
        FileProtocol.Extend(file, 0, size, prealloc);
        // qemu writes the first block so that O_DIRECT alignment probing works; the file then has 4 KiB of data.
        if (size > 0)
            file.Write(0, ZeroBuffer.Span((int)Math.Min(size, 4096)));
    }

    public override MeasureResult Measure(OptionValues options, BlockDevice? source, long size)
    {
        long v = Sectors.RoundUp(source?.VirtualSize ?? size);
        return new MeasureResult(v, v, null);
    }
}
