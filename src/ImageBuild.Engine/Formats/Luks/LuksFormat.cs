using ImageBuild.Engine.Block;
using ImageBuild.Engine.Crypto;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Luks;

/// <summary>
/// The luks driver (qemu's block/crypto.c over crypto/block-luks.c): LUKS1 images with AES in xts or cbc mode.
/// Open needs the runtime option key-secret except for info; read, write, create, resize (grow and shrink),
/// measure and key-slot amend; no check, as in qemu.
/// </summary>
public sealed class LuksFormat : ImageFormat
{
    public override string Name => "luks";

    public override FormatCapabilities Capabilities { get; } = new(
        FormatFeatures.Write | FormatFeatures.Create | FormatFeatures.Grow | FormatFeatures.Shrink |
        FormatFeatures.Measure | FormatFeatures.Amend, "luks");

    public override int Probe(ReadOnlySpan<byte> header, string filename) => LuksProbe.Score(header, filename);

    public override IReadOnlyList<CreateOption> CreateOptions => LuksOptions.Create;

    public override IReadOnlyList<CreateOption> AmendOptions => LuksOptions.Amend;

    public override IReadOnlyCollection<string> RuntimeOptions { get; } = [LuksOptions.KeySecret];

    /// <summary>qemu names an image opened with its key secret by a json: filename (strong_runtime_opts).</summary>
    public override IReadOnlyCollection<string> StrongRuntimeOptions => RuntimeOptions;

    public override BlockDevice Open(OpenRequest request) => new LuksDevice(request);

    public override void Create(CreateRequest request) => LuksCreator.Create(request);

    /// <summary>Without the engine context no secret can be looked up: qemu's fake create needs one.</summary>
    public override MeasureResult Measure(OptionValues options, BlockDevice? source, long size) =>
        Measure(new ImageContext(new FormatRegistry()), options, source, size);

    /// <summary>
    /// qemu's block_crypto_measure: header length for the settings plus the size, required and fully allocated alike
    /// (unallocated sectors are encrypted too). qemu runs a whole fake create for it, so the key-secret must name a
    /// secret of the context here as well (its value is not needed: nothing is written).
    /// </summary>
    public override MeasureResult Measure(ImageContext context, OptionValues options, BlockDevice? source, long size)
    {
        var settings = LuksOptions.Settings(options);
        settings.CheckNames();
        string secretId = options.GetString(LuksOptions.KeySecret) ?? throw new ImageException(LuksOptions.KeySecretRequired);
        _ = context.Secrets.GetUtf8(secretId);
        long required = LuksVolume.HeaderLengthFor(settings) + size;
        return new MeasureResult(required, required, null);
    }
}
