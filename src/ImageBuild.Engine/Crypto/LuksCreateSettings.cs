namespace ImageBuild.Engine.Crypto;

/// <summary>
/// qemu's QCryptoBlockCreateOptionsLUKS without the secret: the algorithm names as qemu's create options spell them
/// (<c>cipher-alg</c>, <c>cipher-mode</c>, <c>ivgen-alg</c>, <c>ivgen-hash-alg</c>, <c>hash-alg</c>) and
/// <c>iter-time</c> in milliseconds. Null members take qemu's defaults (aes-256, xts, plain64, sha256, 2000 ms; an
/// essiv generator without a hash gets sha256).
/// </summary>
public sealed record LuksCreateSettings
{
    /// <summary>qemu's default PBKDF time in milliseconds.</summary>
    public const long DefaultIterTimeMs = 2000;

    public string? CipherAlg { get; init; }
    public string? CipherMode { get; init; }
    public string? IvgenAlg { get; init; }
    public string? IvgenHashAlg { get; init; }
    public string? HashAlg { get; init; }

    /// <summary>PBKDF time in milliseconds (qemu reads it as an unsigned 64-bit number).</summary>
    public ulong? IterTime { get; init; }

    /// <summary>qemu's QCryptoCipherAlgorithm names.</summary>
    public static readonly IReadOnlyList<string> CipherAlgNames =
        ["aes-128", "aes-192", "aes-256", "des", "3des", "cast5-128", "serpent-128", "serpent-192", "serpent-256",
         "twofish-128", "twofish-192", "twofish-256"];

    /// <summary>qemu's QCryptoCipherMode names.</summary>
    public static readonly IReadOnlyList<string> CipherModeNames = ["ecb", "cbc", "xts", "ctr"];

    /// <summary>qemu's QCryptoIVGenAlgorithm names.</summary>
    public static readonly IReadOnlyList<string> IvgenAlgNames = ["plain", "plain64", "essiv"];

    /// <summary>qemu's QCryptoHashAlgorithm names.</summary>
    public static readonly IReadOnlyList<string> HashAlgNames = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "ripemd160"];

    /// <summary>
    /// Checks the names (qemu's "Parameter 'P' does not accept value 'V'", P prefixed by <paramref name="optPrefix"/>
    /// such as <c>encrypt.</c>), applies the defaults and qemu's create-time refusals, and returns the
    /// header's three strings and key length. What qemu 7.2 refuses (des and 3des, which have no LUKS name; essiv
    /// without a cipher of the digest's key size; xts over cast5's 8-byte block) is refused with its messages.
    /// </summary>
    public LuksCipherChoice Resolve(string optPrefix = "")
    {
        string cipherAlg = CheckName(CipherAlg, "aes-256", CipherAlgNames, optPrefix + "cipher-alg");
        string mode = CheckName(CipherMode, "xts", CipherModeNames, optPrefix + "cipher-mode");
        string ivgen = CheckName(IvgenAlg, "plain64", IvgenAlgNames, optPrefix + "ivgen-alg");
        string? ivHash = IvgenHashAlg is null ? null : CheckName(IvgenHashAlg, null, HashAlgNames, optPrefix + "ivgen-hash-alg");
        string hash = CheckName(HashAlg, "sha256", HashAlgNames, optPrefix + "hash-alg");
        if (ivgen == "essiv") ivHash ??= "sha256";

        int dash = cipherAlg.IndexOf('-');
        if (dash < 0) // des, 3des: no LUKS cipher name
            throw new ImageException($"Algorithm '{cipherAlg}' not supported");
        string family = cipherAlg[..dash];
        int cipherKeyBytes = int.Parse(cipherAlg.AsSpan(dash + 1), System.Globalization.CultureInfo.InvariantCulture) / 8;
        if (ivgen == "essiv") EssivIvGenerator.EssivCipherFamily(family, cipherKeyBytes, LuksHash.FromName(ivHash!));
        if (mode == "xts" && BlockCipher.BlockSizeOf(family) != XtsMode.BlockLength)
            throw new ImageException($"Unsupported cipher mode {mode}");
        int keyBytes = mode == "xts" ? cipherKeyBytes * 2 : cipherKeyBytes;
        if (keyBytes * LuksHeader.Stripes % LuksHeader.SectorSize != 0)
            // qemu 7.2 aborts on an assertion here (192-bit keys outside xts): its key material is no whole number of sectors
            throw new ImageException($"Cipher {cipherAlg} in mode {mode} gives key material of {keyBytes * LuksHeader.Stripes} bytes, not a whole number of sectors");
        string modeSpec = ivHash is null ? $"{mode}-{ivgen}" : $"{mode}-{ivgen}:{ivHash}";
        LuksCipherSpec.Parse(family, modeSpec, hash, keyBytes); // what the header will say must parse back
        return new LuksCipherChoice(family, modeSpec, hash, keyBytes, cipherAlg);
    }

    /// <summary>
    /// Only the name checks of <see cref="Resolve"/> (qemu's QAPI parsing of the options, which comes before the
    /// image file is created; the other refusals come after it, from the LUKS code).
    /// </summary>
    public void CheckNames(string optPrefix = "")
    {
        CheckName(CipherAlg, null, CipherAlgNames, optPrefix + "cipher-alg");
        CheckName(CipherMode, null, CipherModeNames, optPrefix + "cipher-mode");
        CheckName(IvgenAlg, null, IvgenAlgNames, optPrefix + "ivgen-alg");
        CheckName(IvgenHashAlg, null, HashAlgNames, optPrefix + "ivgen-hash-alg");
        CheckName(HashAlg, null, HashAlgNames, optPrefix + "hash-alg");
    }

    /// <summary>The PBKDF time in milliseconds, qemu's default when not given.</summary>
    public ulong IterTimeOrDefault => IterTime ?? DefaultIterTimeMs;

    private static string CheckName(string? value, string? fallback, IReadOnlyList<string> names, string param)
    {
        if (value is null) return fallback!;
        if (!names.Contains(value)) throw new ImageException($"Parameter '{param}' does not accept value '{value}'");
        return value;
    }
}

/// <summary>What a new LUKS header says about its cipher: name, mode spec, hash spec, key length; and qemu's cipher-alg name.</summary>
public sealed record LuksCipherChoice(string CipherName, string CipherModeSpec, string HashSpec, int KeyBytes, string CipherAlg);
