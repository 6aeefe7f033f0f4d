using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>The qcow2 driver: probe, open, create (byte-identical to qemu-img 7.2) and measure.</summary>
public sealed class Qcow2Format : ImageFormat
{
    public override string Name => "qcow2";

    public override FormatCapabilities Capabilities { get; } = new(
        FormatFeatures.Write | FormatFeatures.Create | FormatFeatures.Backing | FormatFeatures.CompressedWrites |
        FormatFeatures.InternalSnapshots | FormatFeatures.PersistentBitmaps | FormatFeatures.Check | FormatFeatures.Grow |
        FormatFeatures.Shrink | FormatFeatures.Measure | FormatFeatures.Amend | FormatFeatures.ExternalDataFile | FormatFeatures.MakeEmpty,
        "qcow2", Compression.CompressionScheme.QemuDeflate);

    public override int Probe(ReadOnlySpan<byte> header, string filename) =>
        header.Length >= 8 && BinaryPrimitives.ReadUInt32BigEndian(header) == Qcow2Header.Magic &&
        BinaryPrimitives.ReadUInt32BigEndian(header[4..]) >= 2 ? 100 : 0;

    /// <summary>qemu's option-table order as the Formatting line shows it (encryption options first).</summary>
    public override IReadOnlyList<CreateOption> CreateOptions { get; } =
    [
        new("encryption", OptionType.Bool, "Encrypt the image with format 'aes'. (Deprecated in favor of encrypt.format=aes)"),
        new("encrypt.format", OptionType.String, "Encrypt the image, format choices: 'aes', 'luks'"),
        new("encrypt.key-secret", OptionType.String, "ID of secret providing qcow AES key or LUKS passphrase"),
        new("encrypt.cipher-alg", OptionType.String, "Name of encryption cipher algorithm"),
        new("encrypt.cipher-mode", OptionType.String, "Name of encryption cipher mode"),
        new("encrypt.ivgen-alg", OptionType.String, "Name of IV generator algorithm"),
        new("encrypt.ivgen-hash-alg", OptionType.String, "Name of IV generator hash algorithm"),
        new("encrypt.hash-alg", OptionType.String, "Name of encryption hash algorithm"),
        new("encrypt.iter-time", OptionType.Number, "Time to spend in PBKDF in milliseconds"),
        new("cluster_size", OptionType.Size, "qcow2 cluster size", "65536"),
        new("extended_l2", OptionType.Bool, "Extended L2 tables", "off"),
        new("preallocation", OptionType.String, "Preallocation mode (allowed values: off, metadata, falloc, full)"),
        new("compression_type", OptionType.String, "Compression method used for image cluster compression", "zlib"),
        .. CommonOptions,
    ];

    /// <summary>qemu's QCOW_COMMON_OPTIONS: the tail both the create and the amend tables share.</summary>
    private static readonly CreateOption[] CommonOptions =
    [
        new("size", OptionType.Size, "Virtual disk size"),
        new("compat", OptionType.String, "Compatibility level (v2 [0.10] or v3 [1.1])"),
        new("backing_file", OptionType.String, "File name of a base image"),
        new("backing_fmt", OptionType.String, "Image format of the base image"),
        new("data_file", OptionType.String, "File name of an external data file"),
        new("data_file_raw", OptionType.Bool, "The external data file must stay valid as a raw image"),
        new("lazy_refcounts", OptionType.Bool, "Postpone refcount updates", "off"),
        new("refcount_bits", OptionType.Number, "Width of a reference count entry in bits", "16"),
    ];

    /// <summary>qcow2_amend_opts in qemu's table order (the order amend checks them in); help lists them sorted.</summary>
    public override IReadOnlyList<CreateOption> AmendOptions { get; } =
    [
        new("encrypt.state", OptionType.String, "Select new state of affected keyslots (active/inactive)"),
        new("encrypt.keyslot", OptionType.Number, "Select a single keyslot to modify explicitly"),
        new("encrypt.old-secret", OptionType.String, "Select all keyslots that match this password"),
        new("encrypt.new-secret", OptionType.String, "New secret to set in the matching keyslots. Empty string to erase"),
        new("encrypt.iter-time", OptionType.Number, "Time to spend in PBKDF in milliseconds"),
        .. CommonOptions,
    ];

    internal static readonly string[] AmendOptionOrder =
    [
        "encrypt.state", "encrypt.keyslot", "encrypt.old-secret", "encrypt.new-secret", "encrypt.iter-time", "size", "compat",
        "backing_file", "backing_fmt", "data_file", "data_file_raw", "lazy_refcounts", "refcount_bits",
    ];

    /// <summary>The qcow2 runtime options this engine takes: the encryption format check and the key's secret.</summary>
    public override IReadOnlyCollection<string> RuntimeOptions => Qcow2Device.RuntimeOptionKeys;

    /// <summary>qemu names an image opened with its key secret by a json: filename (strong_runtime_opts).</summary>
    public override IReadOnlyCollection<string> StrongRuntimeOptions { get; } = ["encrypt.key-secret"];

    public override BlockDevice Open(OpenRequest request) =>
        new Qcow2Device(request);

    public override void Create(CreateRequest request) => Qcow2Creator.Create(request);

    public override MeasureResult Measure(OptionValues options, BlockDevice? source, long size) =>
        Qcow2Measure.Measure(options, source, size);
}
