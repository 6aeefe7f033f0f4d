using System.Text;

namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// The OVF manifest (DSP0243 §5.1): one line per file, <c>ALG(name)= hex</c> with the algorithm in upper case
/// (SHA1, SHA256, SHA512), no space before '=', exactly one after it, the digest in lower-case hex, '\n' after each
/// line; the descriptor first, then the files in References order (the order the caller gives). ASCII only.
/// </summary>
public static class OvfManifest
{
    public static byte[] Write(ManifestAlgorithm algorithm, IReadOnlyList<(string Name, byte[] Digest)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        string label = Label(algorithm);
        int length = DigestLength(algorithm);
        var text = new StringBuilder();
        foreach (var (name, digest) in files)
        {
            if (!HardwareValidation.IsPlainFileName(name))
                throw new ArgumentException($"manifest entry '{name}' is not a plain file name");
            if (digest.Length != length)
                throw new ArgumentException($"manifest entry '{name}' has a {digest.Length}-byte digest, not a {label} digest");
            text.Append(label).Append('(').Append(name).Append(")= ").Append(Convert.ToHexStringLower(digest)).Append('\n');
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>The algorithm a recipe names: "sha256", "sha1" or "sha512" (case-insensitive).</summary>
    public static bool TryParse(string name, out ManifestAlgorithm algorithm)
    {
        switch (name?.ToLowerInvariant())
        {
            case "sha256": algorithm = ManifestAlgorithm.Sha256; return true;
            case "sha1": algorithm = ManifestAlgorithm.Sha1; return true;
            case "sha512": algorithm = ManifestAlgorithm.Sha512; return true;
            default: algorithm = default; return false;
        }
    }

    /// <summary>How the manifest spells the algorithm.</summary>
    public static string Label(ManifestAlgorithm algorithm) => algorithm switch
    {
        ManifestAlgorithm.Sha256 => "SHA256",
        ManifestAlgorithm.Sha1 => "SHA1",
        ManifestAlgorithm.Sha512 => "SHA512",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    internal static int DigestLength(ManifestAlgorithm algorithm) => algorithm switch
    {
        ManifestAlgorithm.Sha256 => 32,
        ManifestAlgorithm.Sha1 => 20,
        ManifestAlgorithm.Sha512 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>A fresh incremental hash of <paramref name="algorithm"/>.</summary>
    internal static System.Security.Cryptography.IncrementalHash CreateHash(ManifestAlgorithm algorithm) =>
        System.Security.Cryptography.IncrementalHash.CreateHash(algorithm switch
        {
            ManifestAlgorithm.Sha256 => System.Security.Cryptography.HashAlgorithmName.SHA256,
            ManifestAlgorithm.Sha1 => System.Security.Cryptography.HashAlgorithmName.SHA1,
            ManifestAlgorithm.Sha512 => System.Security.Cryptography.HashAlgorithmName.SHA512,
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        });
}
