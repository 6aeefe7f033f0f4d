using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// The <c>encrypt.*</c> create options as qcow2_co_create_opts turns them into QCryptoBlockCreateOptions: the legacy
/// <c>encryption=on</c> (only the exact strings "on" and "off" are booleans to qemu here, any other value becomes a
/// format name) and <c>encrypt.format=aes</c> both mean qemu's "qcow" format; the LUKS options belong to
/// <c>encrypt.format=luks</c> only, and with any other format qemu's visit finds them unexpected.
/// </summary>
internal sealed record Qcow2EncryptionOptions(string Format, string? KeySecret, IReadOnlyDictionary<string, string> LuksOptions)
{
    /// <summary>qemu's QAPI name for the legacy AES format.</summary>
    public const string Aes = "qcow";

    public const string Luks = "luks";

    /// <summary>The LUKS create options under <c>encrypt.</c>, in qemu's option-table order.</summary>
    public static readonly string[] LuksKeys = ["cipher-alg", "cipher-mode", "ivgen-alg", "ivgen-hash-alg", "hash-alg", "iter-time"];

    public bool IsAes => Format == Aes;

    /// <summary>The LUKS options as the LUKS volume takes them (qemu's defaults where absent).</summary>
    public Crypto.LuksCreateSettings LuksSettings()
    {
        string? Get(string key) => LuksOptions.TryGetValue(key, out var v) ? v : null;
        ulong? iterTime = null;
        if (Get("iter-time") is { } t)
        {
            if (!ulong.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong ms))
                throw new ImageException("Parameter 'encrypt.iter-time' expects a number");
            iterTime = ms;
        }
        return new Crypto.LuksCreateSettings
        {
            CipherAlg = Get("cipher-alg"), CipherMode = Get("cipher-mode"), IvgenAlg = Get("ivgen-alg"),
            IvgenHashAlg = Get("ivgen-hash-alg"), HashAlg = Get("hash-alg"), IterTime = iterTime,
        };
    }

    /// <summary>The options, or null for an image without encryption; refusals in qemu's words.</summary>
    public static Qcow2EncryptionOptions? Parse(OptionValues o)
    {
        string? legacy = o.GetString("encryption") switch
        {
            "on" => Aes,
            "off" => null,
            var v => v,
        };
        string? format = o.GetString("encrypt.format") is "aes" ? Aes : o.GetString("encrypt.format");
        if (legacy is not null && format is not null)
            throw new ImageException("'encrypt.format' and its alias 'encryption' can't be used at the same time");
        format ??= legacy;
        string? secret = o.GetString("encrypt.key-secret");
        var luks = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in LuksKeys)
            if (o.GetString("encrypt." + key) is { } value)
                luks[key] = value;
        if (format is null)
        {
            if (secret is not null || luks.Count > 0)
                throw new ImageException("Parameter 'encrypt.format' is missing");
            return null;
        }
        if (format is not (Aes or Luks))
            throw new ImageException($"Parameter 'format' does not accept value '{format}'");
        if (format == Aes && luks.Count > 0)
            throw new ImageException($"Parameter 'encrypt.{luks.Keys.First()}' is unexpected");
        var options = new Qcow2EncryptionOptions(format, secret, luks);
        if (format == Luks)
            options.LuksSettings().Resolve(); // the visit names the member without the "encrypt." prefix
        return options;
    }

    /// <summary>
    /// qcrypto_block_calculate_payload_offset for these options: the LUKS header and its eight key-material areas
    /// (4000 stripes of the key, each area aligned to 4 KiB), which a qcow2 image keeps in whole clusters.
    /// The key's secret is required, as qemu's dry-run create requires it.
    /// </summary>
    public long LuksHeaderLength()
    {
        if (KeySecret is null)
            throw new ImageException(Crypto.QcowAesCipher.KeySecretRequired);
        int keyBytes = LuksSettings().Resolve().KeyBytes;
        const int alignSectors = Crypto.LuksHeader.KeySlotAreaOffset / Crypto.LuksHeader.SectorSize;
        long splitSectors = ((long)keyBytes * Crypto.LuksHeader.Stripes + Crypto.LuksHeader.SectorSize - 1) / Crypto.LuksHeader.SectorSize;
        splitSectors = (splitSectors + alignSectors - 1) / alignSectors * alignSectors;
        return Crypto.LuksHeader.KeySlotAreaOffset + Crypto.LuksHeader.KeySlotCount * splitSectors * Crypto.LuksHeader.SectorSize;
    }
}
