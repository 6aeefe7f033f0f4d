namespace ImageBuild.Engine.Crypto;

/// <summary>
/// A LUKS header's cipher description parsed as qemu parses it: cipher name (<c>aes</c>) with the key size,
/// the mode string <c>mode-ivgen[:ivhash]</c> (<c>xts-plain64</c>, <c>cbc-essiv:sha256</c>, <c>cbc-plain</c>) and the
/// hash spec. Only AES in xts and cbc modes is implemented; qemu's other LUKS ciphers (cast5, serpent, twofish) and
/// modes (ecb, ctr) are refused with qemu's "not supported" wording.
/// </summary>
public sealed class LuksCipherSpec
{
    private LuksCipherSpec(string cipherName, string cipherMode, int keyBytes, int aesKeyBits, string ivGenerator, LuksHash? ivHash, LuksHash hash)
    {
        CipherName = cipherName;
        CipherMode = cipherMode;
        KeyBytes = keyBytes;
        AesKeyBits = aesKeyBits;
        IvGeneratorName = ivGenerator;
        IvHash = ivHash;
        Hash = hash;
    }

    /// <summary>The cipher name field (<c>aes</c>).</summary>
    public string CipherName { get; }

    /// <summary>The chaining mode (<c>xts</c> or <c>cbc</c>).</summary>
    public string CipherMode { get; }

    /// <summary>The volume key length in bytes (both XTS keys together).</summary>
    public int KeyBytes { get; }

    /// <summary>The AES key size in bits of one AES key (128, 192 or 256): qemu's cipher-alg is aes-N.</summary>
    public int AesKeyBits { get; }

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
        if (mode is not ("xts" or "cbc")) throw new ImageException($"Cipher mode '{mode}' not supported");

        int aesKeyBytes = mode == "xts" ? keyBytes / 2 : keyBytes;
        if (cipherName != "aes" || aesKeyBytes is not (16 or 24 or 32) || (mode == "xts" && keyBytes % 2 != 0))
            throw new ImageException($"Algorithm '{cipherName}' with key size {aesKeyBytes} bytes not supported");

        var hash = LuksHash.FromName(hashSpec);
        if (ivgen is not ("plain" or "plain64" or "essiv")) throw new ImageException($"IV generator '{ivgen}' not supported");
        if (ivgen == "essiv")
        {
            if (ivHash is null) throw new ImageException("Missing IV generator hash specification");
            if (ivHash.DigestLength is not (16 or 24 or 32))
                throw new ImageException($"No AES cipher with key size {ivHash.DigestLength} available");
        }
        else
        {
            ivHash = null; // qemu ignores a hash given to plain/plain64
        }
        return new LuksCipherSpec(cipherName, mode, keyBytes, aesKeyBytes * 8, ivgen, ivHash, hash);
    }

    /// <summary>A sector cipher for this spec keyed with <paramref name="key"/> (a slot key or the volume key).</summary>
    public LuksSectorCipher CreateSectorCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes)
            throw new ArgumentException($"the key is {key.Length} bytes, the header says {KeyBytes}", nameof(key));
        return new LuksSectorCipher(this, key);
    }
}
