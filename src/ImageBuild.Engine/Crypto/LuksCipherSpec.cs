namespace ImageBuild.Engine.Crypto;

/// <summary>
/// A LUKS header's cipher description parsed as qemu parses it: cipher name (<c>aes</c>) with the key size,
/// the mode string <c>mode-ivgen[:ivhash]</c> (<c>xts-plain64</c>, <c>cbc-essiv:sha256</c>, <c>cbc-plain</c>) and the
/// hash spec. The ciphers are qemu's LUKS ciphers (aes, cast5, serpent, twofish) in its modes (ecb, cbc, xts, ctr);
/// what qemu refuses is refused with its wording.
/// </summary>
public sealed class LuksCipherSpec
{
    private LuksCipherSpec(string cipherName, string cipherMode, int keyBytes, int cipherKeyBits, string ivGenerator, LuksHash? ivHash, LuksHash hash)
    {
        CipherName = cipherName;
        CipherMode = cipherMode;
        KeyBytes = keyBytes;
        CipherKeyBits = cipherKeyBits;
        IvGeneratorName = ivGenerator;
        IvHash = ivHash;
        Hash = hash;
    }

    /// <summary>The cipher name field (<c>aes</c>, <c>cast5</c>, <c>serpent</c>, <c>twofish</c>).</summary>
    public string CipherName { get; }

    /// <summary>The chaining mode (<c>ecb</c>, <c>cbc</c>, <c>xts</c>, <c>ctr</c>).</summary>
    public string CipherMode { get; }

    /// <summary>The volume key length in bytes (both XTS keys together).</summary>
    public int KeyBytes { get; }

    /// <summary>The key size in bits of one cipher key (half the XTS key): qemu's cipher-alg is name-N (aes-256, cast5-128).</summary>
    public int CipherKeyBits { get; }

    /// <summary>qemu's cipher-alg name (<c>aes-256</c>, <c>twofish-128</c>, <c>cast5-128</c>).</summary>
    public string CipherAlg => $"{CipherName}-{CipherKeyBits}";

    /// <summary>The IV generator (<c>plain</c>, <c>plain64</c>, <c>essiv</c>).</summary>
    public string IvGeneratorName { get; }

    /// <summary>ESSIV's hash, null for the other generators.</summary>
    public LuksHash? IvHash { get; }

    /// <summary>The header's hash spec (PBKDF2 and the AF diffuse).</summary>
    public LuksHash Hash { get; }

    /// <summary>Parses the three header strings and the key size, with qemu's messages for what it refuses.</summary>
    public static LuksCipherSpec Parse(string cipherName, string cipherModeSpec, string hashSpec, int keyBytes)
    {
        int dash = cipherModeSpec.IndexOf('-');
        if (dash < 0) throw new ImageException($"Unexpected cipher mode string format '{cipherModeSpec}'");
        string mode = cipherModeSpec[..dash];
        string ivgen = cipherModeSpec[(dash + 1)..];
        LuksHash? ivHash = null;
        int colon = ivgen.IndexOf(':');
        if (colon >= 0)
        {
            ivHash = LuksHash.FromName(ivgen[(colon + 1)..]);
            ivgen = ivgen[..colon];
        }
        if (!LuksCreateSettings.CipherModeNames.Contains(mode)) throw new ImageException($"Cipher mode '{mode}' not supported");

        int cipherKeyBytes = mode == "xts" ? keyBytes / 2 : keyBytes;
        if (!BlockCipher.KeySizes(cipherName).Contains(cipherKeyBytes))
            throw new ImageException($"Algorithm '{cipherName}' with key size {cipherKeyBytes} bytes not supported");

        var hash = LuksHash.FromName(hashSpec);
        if (ivgen is not ("plain" or "plain64" or "essiv")) throw new ImageException($"IV generator '{ivgen}' not supported");
        if (ivgen == "essiv")
        {
            if (ivHash is null) throw new ImageException("Missing IV generator hash specification");
            EssivIvGenerator.EssivCipherFamily(cipherName, cipherKeyBytes, ivHash);
        }
        else
        {
            ivHash = null; // qemu ignores a hash given to plain/plain64
        }
        return new LuksCipherSpec(cipherName, mode, keyBytes, cipherKeyBytes * 8, ivgen, ivHash, hash);
    }

    /// <summary>
    /// A sector cipher for this spec keyed with <paramref name="key"/> (a slot key or the volume key); a mode the
    /// cipher cannot run (xts over cast5's 8-byte block) is qemu's "Unsupported cipher mode xts".
    /// </summary>
    public LuksSectorCipher CreateSectorCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes)
            throw new ArgumentException($"the key is {key.Length} bytes, the header says {KeyBytes}", nameof(key));
        return new LuksSectorCipher(this, key);
    }
}
