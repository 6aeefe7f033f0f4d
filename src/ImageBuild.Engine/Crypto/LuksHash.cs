using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// A hash algorithm named as qemu and the LUKS header name it (<c>sha1</c>, <c>sha256</c>, ...). md5 and the SHA-1/2
/// family run on .NET (PBKDF2 on .NET's <see cref="Rfc2898DeriveBytes"/>); sha224 and ripemd160, which .NET lacks,
/// on BouncyCastle's digests and HMAC. Used for the header's hash spec (PBKDF2 and the anti-forensic diffuse) and
/// for the ESSIV hash.
/// </summary>
public sealed class LuksHash
{
    private readonly HashAlgorithmName? _dotnet;
    private readonly Func<IDigest>? _bouncy;

    private LuksHash(string name, int digestLength, HashAlgorithmName? dotnet, Func<IDigest>? bouncy)
    {
        Name = name;
        DigestLength = digestLength;
        _dotnet = dotnet;
        _bouncy = bouncy;
    }

    /// <summary>The name as qemu spells it (lower case).</summary>
    public string Name { get; }

    /// <summary>Digest size in bytes.</summary>
    public int DigestLength { get; }

    /// <summary>The hash qemu calls <paramref name="name"/>; unknown names are qemu's "Hash algorithm '...' not supported".</summary>
    public static LuksHash FromName(string name) => TryFromName(name)
        ?? throw new ImageException($"Hash algorithm '{name}' not supported");

    /// <summary>The hash called <paramref name="name"/>, or null when it is unknown.</summary>
    public static LuksHash? TryFromName(string name) => name switch
    {
        "md5" => new LuksHash(name, 16, HashAlgorithmName.MD5, null),
        "sha1" => new LuksHash(name, 20, HashAlgorithmName.SHA1, null),
        "sha224" => new LuksHash(name, 28, null, () => new Sha224Digest()),
        "sha256" => new LuksHash(name, 32, HashAlgorithmName.SHA256, null),
        "sha384" => new LuksHash(name, 48, HashAlgorithmName.SHA384, null),
        "sha512" => new LuksHash(name, 64, HashAlgorithmName.SHA512, null),
        "ripemd160" => new LuksHash(name, 20, null, () => new RipeMD160Digest()),
        _ => null,
    };

    /// <summary>Hashes the concatenation of <paramref name="first"/> and <paramref name="second"/> into <paramref name="digest"/>.</summary>
    public void Hash(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> digest)
    {
        if (digest.Length < DigestLength) throw new ArgumentException($"{Name} digest did not fit", nameof(digest));
        if (_bouncy is not null)
        {
            var d = _bouncy();
            d.BlockUpdate(first);
            d.BlockUpdate(second);
            d.DoFinal(digest);
            return;
        }
        using var h = IncrementalHash.CreateHash(_dotnet!.Value);
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
    /// for the SHA family; MD5 (which that method refuses) through .NET's HMAC-MD5, sha224 and ripemd160 through
    /// BouncyCastle's HMAC, with the RFC's construction.
    /// </summary>
    public void Pbkdf2(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int iterations, Span<byte> output)
    {
        if (iterations <= 0) throw new ArgumentOutOfRangeException(nameof(iterations), "PBKDF2 needs at least one iteration");
        if (_dotnet is { } alg && alg != HashAlgorithmName.MD5)
        {
            Rfc2898DeriveBytes.Pbkdf2(password, salt, output, iterations, alg);
            return;
        }
        using var hmac = Hmac.Create(this, password);
        Span<byte> u = stackalloc byte[DigestLength];
        Span<byte> t = stackalloc byte[DigestLength];
        Span<byte> counter = stackalloc byte[4];
        for (int block = 1, done = 0; done < output.Length; block++, done += DigestLength)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(counter, block);
            hmac.Append(salt);
            hmac.Append(counter);
            hmac.Finish(u);
            u.CopyTo(t);
            for (int i = 1; i < iterations; i++)
            {
                hmac.Append(u);
                hmac.Finish(u);
                for (int j = 0; j < t.Length; j++) t[j] ^= u[j];
            }
            int n = Math.Min(DigestLength, output.Length - done);
            t[..n].CopyTo(output.Slice(done, n));
        }
    }

    /// <summary>A keyed HMAC over this hash that is reset after each <see cref="Finish"/>.</summary>
    private sealed class Hmac : IDisposable
    {
        private readonly IncrementalHash? _dotnet;
        private readonly HMac? _bouncy;

        private Hmac(IncrementalHash? dotnet, HMac? bouncy)
        {
            _dotnet = dotnet;
            _bouncy = bouncy;
        }

        public static Hmac Create(LuksHash hash, ReadOnlySpan<byte> key)
        {
            if (hash._dotnet is { } alg) return new Hmac(IncrementalHash.CreateHMAC(alg, key), null);
            var mac = new HMac(hash._bouncy!());
            mac.Init(new KeyParameter(key));
            return new Hmac(null, mac);
        }

        public void Append(ReadOnlySpan<byte> data)
        {
            if (_dotnet is not null) _dotnet.AppendData(data);
            else _bouncy!.BlockUpdate(data);
        }

        public void Finish(Span<byte> mac)
        {
            if (_dotnet is not null) _dotnet.GetHashAndReset(mac);
            else _bouncy!.DoFinal(mac); // DoFinal resets the HMAC to its keyed state
        }

        public void Dispose() => _dotnet?.Dispose();
    }
}
