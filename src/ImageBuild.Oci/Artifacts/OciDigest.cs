using System.Security.Cryptography;

namespace ImageBuild.Oci.Artifacts;

/// <summary>
/// OCI digests (image-spec descriptor.md "Digests"): only <c>sha256:</c> followed by 64 lower-case hex digits is
/// accepted; other algorithms are refused.
/// </summary>
public static class OciDigest
{
    public const string Sha256Prefix = "sha256:";

    /// <summary>The sha256 digest of <paramref name="content"/>.</summary>
    public static string Of(ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(content, hash);
        return FromHash(hash);
    }

    /// <summary>The digest string of a sha256 hash value.</summary>
    public static string FromHash(ReadOnlySpan<byte> sha256) => Sha256Prefix + Convert.ToHexStringLower(sha256);

    /// <summary>True for <c>sha256:</c> and 64 lower-case hex digits.</summary>
    public static bool IsValid(string digest)
    {
        if (digest is null || digest.Length != Sha256Prefix.Length + 64 || !digest.StartsWith(Sha256Prefix, StringComparison.Ordinal))
            return false;
        foreach (char c in digest.AsSpan(Sha256Prefix.Length))
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
                return false;
        return true;
    }
}
