namespace ImageBuild.Engine.Block;

/// <summary>A probe over the first 512 bytes (zero-padded) and the filename, as qemu's BlockDriver.bdrv_probe.</summary>
public delegate int FormatProbe(ReadOnlySpan<byte> header, string filename);

/// <summary>
/// A format qemu-img handles whose driver this engine does not have yet: it probes exactly as qemu does, so such an
/// image is never misread as raw, and every open, create or measure is refused with one clear line.
/// </summary>
public sealed class UnsupportedFormat(string name, string fileExtension, FormatProbe probe) : ImageFormat
{
    public override string Name => name;

    public override FormatCapabilities Capabilities { get; } = new(FormatFeatures.None, fileExtension);

    public override int Probe(ReadOnlySpan<byte> header, string filename) => probe(header, filename);

    public override BlockDevice Open(OpenRequest request) => throw Refusal(request.Filename);

    public override void Create(CreateRequest request) => throw Refusal(request.Filename);

    public override MeasureResult Measure(Options.OptionValues options, BlockDevice? source, long size) => throw Refusal(null);

    /// <summary>The refusal for <paramref name="filename"/> (null: no file involved, e.g. measure).</summary>
    public FormatNotSupportedException Refusal(string? filename) => new(filename is null
        ? $"format '{Name}' is not supported by this engine yet"
        : $"'{filename}': format '{Name}' is not supported by this engine yet");
}

/// <summary>
/// An image of a format this engine has no driver for yet; its message is complete (it names the file) and is
/// printed as it is, without the "Could not open" prefix.
/// </summary>
public sealed class FormatNotSupportedException(string message) : ImageException(message);
