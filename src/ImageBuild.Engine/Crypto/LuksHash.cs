using System.Security.Cryptography;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// A hash algorithm named as qemu and the LUKS header name it (<c>sha1</c>, <c>sha256</c>, ...), mapped to .NET's
/// implementation. Used for the header's hash spec (PBKDF2 and the anti-forensic diffuse) and for the ESSIV hash.
/// </summary>
public sealed class LuksHash
{
    private LuksHash(string name, HashAlgorithmName algorithm, int digestLength)
    {
        Name = name;
        Algorithm = algorithm;
        DigestLength = digestLength;
    }

    /// <summary>The name as qemu spells it (lower case).</summary>
    public string Name { get; }

    /// <summary>The .NET algorithm.</summary>
    public HashAlgorithmName Algorithm { get; }

    /// <summary>Digest size in bytes.</summary>
    public int DigestLength { get; }

    /// <summary>
    /// The hash qemu calls <paramref name="name"/>. qemu also knows sha224 and ripemd160, which .NET does not
    /// implement; those (and unknown names) are refused with qemu's "Hash algorithm '...' not supported".
    /// </summary>
    public static LuksHash FromName(string name) => TryFromName(name)
        ?? throw new ImageException($"Hash algorithm '{name}' not supported");

    /// <summary>The hash called <paramref name="name"/>, or null when it is unknown or unavailable here.</summary>
    public static LuksHash? TryFromName(string name) => name switch
    {
        "md5" => new LuksHash(name, HashAlgorithmName.MD5, 16),
        "sha1" => new LuksHash(name, HashAlgorithmName.SHA1, 20),
        "sha256" => new LuksHash(name, HashAlgorithmName.SHA256, 32),
        "sha384" => new LuksHash(name, HashAlgorithmName.SHA384, 48),
        "sha512" => new LuksHash(name, HashAlgorithmName.SHA512, 64),
        _ => null,
    };

    /// <summary>Hashes the concatenation of <paramref name="first"/> and <paramref name="second"/> into <paramref name="digest"/>.</summary>
    public void Hash(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> digest)
    {
        using var h = IncrementalHash.CreateHash(Algorithm);
        h.AppendData(first);
        h.AppendData(second);
        if (!h.TryGetHashAndReset(digest, out int written) || written != DigestLength)
            throw new InvalidOperationException($"{Name} digest did not fit");
    }

    /// <summary>Hashes <paramref name="data"/> into a new array.</summary>
    public byte[] Hash(ReadOnlySpan<byte> data)
    {
        var digest = new byte[DigestLength];
        Hash(data, ReadOnlySpan<byte>.Empty, digest);
        return digest;
    }

    /// <summary>
    /// PBKDF2 (RFC 8018) with HMAC over this hash: .NET's <see cref="Rfc2898DeriveBytes.Pbkdf2(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, int, HashAlgorithmName)"/>
    /// for the SHA family; MD5, which that method refuses, through .NET's HMAC-MD5 with the same construction.
    /// </summary>
    public void Pbkdf2(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int iterations, Span<byte> output)
    {
        if (iterations <= 0) throw new ArgumentOutOfRangeException(nameof(iterations), "PBKDF2 needs at least one iteration");
        if (Algorithm != HashAlgorithmName.MD5)
        {
            Rfc2898DeriveBytes.Pbkdf2(password, salt, output, iterations, Algorithm);
            return;
        }
        using var hmac = IncrementalHash.CreateHMAC(Algorithm, password);
        Span<byte> u = stackalloc byte[DigestLength];
        Span<byte> t = stackalloc byte[DigestLength];
        Span<byte> counter = stackalloc byte[4];
        for (int block = 1, done = 0; done < output.Length; block++, done += DigestLength)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(counter, block);
            hmac.AppendData(salt);
            hmac.AppendData(counter);
            hmac.GetHashAndReset(u);
            u.CopyTo(t);
            for (int i = 1; i < iterations; i++)
            {
                hmac.AppendData(u);
                hmac.GetHashAndReset(u);
                for (int j = 0; j < t.Length; j++) t[j] ^= u[j];
            }
            int n = Math.Min(DigestLength, output.Length - done);
            t[..n].CopyTo(output.Slice(done, n));
        }
    }
}
