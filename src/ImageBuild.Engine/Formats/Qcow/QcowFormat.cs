using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Qcow;

/// <summary>
/// The qcow (version 1) driver as qemu-img 7.2 has it: read (clusters, compressed clusters, backing files), write,
/// compressed writes (convert -c), create byte-identical to qemu-img's, and make_empty after commit. Like qemu's
/// driver it has no check, resize, measure, amend, snapshots or backing-file change (rebase). AES-encrypted images
/// (qemu's legacy encryption) are created, read and written with the key of the secret <c>encrypt.key-secret</c>
/// names; info shows them without it.
/// </summary>
public sealed class QcowFormat : ImageFormat
{
    public override string Name => "qcow";

    public override FormatCapabilities Capabilities { get; } = new(
        FormatFeatures.Write | FormatFeatures.Create | FormatFeatures.Backing | FormatFeatures.CompressedWrites | FormatFeatures.MakeEmpty,
        "qcow", Compression.CompressionScheme.QemuDeflate);

    public override int Probe(ReadOnlySpan<byte> header, string filename) => QcowProbe.Score(header, filename);

    /// <summary>qemu's qcow_create_opts, in its table order.</summary>
    public override IReadOnlyList<CreateOption> CreateOptions { get; } =
    [
        new("size", OptionType.Size, "Virtual disk size"),
        new("backing_file", OptionType.String, "File name of a base image"),
        new("backing_fmt", OptionType.String, "Format of the backing image"),
        new("encryption", OptionType.Bool, "Encrypt the image with format 'aes'. (Deprecated in favor of encrypt.format=aes)"),
        new("encrypt.format", OptionType.String, "Encrypt the image, format choices: 'aes'"),
        new("encrypt.key-secret", OptionType.String, "ID of the secret that provides the AES encryption key"),
    ];

    /// <summary>qcow_open's <c>encrypt.*</c> options (the AES key's secret, and a format that must match the header).</summary>
    public override IReadOnlyCollection<string> RuntimeOptions => QcowEncryption.RuntimeOptions;

    /// <summary>qemu names an image opened with its key secret by a json: filename (strong_runtime_opts).</summary>
    public override IReadOnlyCollection<string> StrongRuntimeOptions { get; } = ["encrypt.key-secret"];

    public override BlockDevice Open(OpenRequest request) => new QcowDevice(request);

    public override void Create(CreateRequest request) => QcowCreator.Create(request);
}
