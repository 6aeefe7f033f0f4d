using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Qcow;

/// <summary>
/// qcow_co_create_opts' reading of the options, in two steps as qemu takes them: <see cref="Parse"/> is what qemu
/// checks before it creates the file (the backing format name, the legacy "encryption" alias); <see cref="CheckEncryption"/>
/// is the QAPI visit that follows the file's creation (so a refusal there leaves an empty file, as qemu's does).
/// </summary>
internal sealed class QcowCreateOptions
{
    /// <summary>The QAPI name qemu maps "aes" (and "encryption=on") to.</summary>
    private const string QcowEncryption = "qcow";

    private readonly string? _encryptFormat;
    private readonly bool _hasEncryptOptions;

    private QcowCreateOptions(string? backingFile, string? encryptFormat, string? keySecret, bool hasEncryptOptions)
    {
        BackingFile = backingFile;
        _encryptFormat = encryptFormat;
        KeySecret = keySecret;
        _hasEncryptOptions = hasEncryptOptions;
    }

    /// <summary>The backing file name as it will be stored (null: none; qemu drops vvfat's "fat:").</summary>
    public string? StoredBackingFile => BackingFile == "fat:" ? null : BackingFile;

    /// <summary>The backing file option as given: any value, even "fat:", makes qemu choose 512-byte clusters.</summary>
    public string? BackingFile { get; }

    public string? KeySecret { get; }

    /// <summary>Whether the image is to be encrypted (after <see cref="CheckEncryption"/>, with format qcow).</summary>
    public bool Encrypted => _encryptFormat is not null;

    public static QcowCreateOptions Parse(OptionValues o)
    {
        // qemu stores no backing format in a qcow image, but checks that it names a driver.
        if (o.GetString("backing_fmt") is { } fmt && !QemuDriverNames.IsKnown(fmt))
            throw new ImageException($"unrecognized backing format '{fmt}'");

        // Legacy syntax: qemu compares the strings as given, so only "on" means qcow and only "off" means none;
        // any other spelling of a boolean becomes an encryption format name and is refused below.
        string? legacy = o.GetString("encryption") switch
        {
            "on" => QcowEncryption,
            "off" => null,
            var v => v,
        };
        string? format = o.GetString("encrypt.format") is "aes" ? QcowEncryption : o.GetString("encrypt.format");
        if (legacy is not null && format is not null)
            throw new ImageException("'encrypt.format' and its alias 'encryption' can't be used at the same time");
        format ??= legacy;
        string? secret = o.GetString("encrypt.key-secret");
        return new QcowCreateOptions(o.GetString("backing_file"), format, secret, format is not null || secret is not null);
    }

    /// <summary>The QAPI visit of the encryption options (BlockdevQcowEncryption): a known format, present when any option is.</summary>
    public void CheckEncryption()
    {
        if (!_hasEncryptOptions)
            return;
        if (_encryptFormat is null)
            throw new ImageException("Parameter 'encrypt.format' is missing");
        if (_encryptFormat is not (QcowEncryption or "luks"))
            throw new ImageException($"Parameter 'format' does not accept value '{_encryptFormat}'");
    }

    /// <summary>qcow_co_create's check, after the size: only the qcow (AES) format is possible.</summary>
    public void CheckEncryptionFormat()
    {
        if (_encryptFormat is not null && _encryptFormat != QcowEncryption)
            throw new ImageException("Unsupported encryption format");
    }
}
