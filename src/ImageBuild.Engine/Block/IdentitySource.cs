using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ImageBuild.Engine.Block;

/// <summary>
/// Where the identifiers and timestamps written into new images come from (VDI, VHD and VHDX UUIDs and GUIDs, VMDK
/// CIDs, VHD timestamps, qcow mtimes, snapshot dates). Drivers never read the clock or a random source themselves: they
/// ask <see cref="ImageContext.Identity"/> for the image they write. On the command line that is random and now, as
/// qemu does, unless SOURCE_DATE_EPOCH is set; recipes and the build hosts always use <see cref="Reproducible"/>.
/// </summary>
public abstract class IdentitySource
{
    /// <summary>The identifiers of one image file; each <paramref name="purpose"/> names one field of the format.</summary>
    public abstract ImageIdentity ForImage(string filename);

    /// <summary>qemu's behaviour: random identifiers and the current time.</summary>
    public static readonly IdentitySource Random = new RandomSource();

    /// <summary>
    /// Identifiers derived from <paramref name="seed"/> and the image's file name (SHA-256), with the timestamp fixed
    /// at <paramref name="time"/>: the same seed and name give the same bytes on every run and machine, and different
    /// seeds (what makes two outputs distinct, e.g. a recipe step's content key) give different UUIDs.
    /// </summary>
    public static IdentitySource Reproducible(string seed, DateTimeOffset time) => new ReproducibleSource(seed, time);

    /// <summary>
    /// The command line's source: <see cref="Reproducible"/> with SOURCE_DATE_EPOCH as both seed and time when that
    /// variable holds a valid number of seconds, <see cref="Random"/> otherwise.
    /// </summary>
    public static IdentitySource FromEnvironment(Func<string, string?>? getenv = null)
    {
        string? epoch = (getenv ?? Environment.GetEnvironmentVariable)("SOURCE_DATE_EPOCH");
        if (long.TryParse(epoch, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long seconds) &&
            seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            return Reproducible("SOURCE_DATE_EPOCH=" + epoch, DateTimeOffset.FromUnixTimeSeconds(seconds));
        return Random;
    }

    private sealed class RandomSource : IdentitySource
    {
        public override ImageIdentity ForImage(string filename) => new RandomIdentity();
    }

    private sealed class RandomIdentity : ImageIdentity
    {
        public override DateTimeOffset Timestamp => DateTimeOffset.UtcNow;

        protected override void Fill(string purpose, Span<byte> dest) => RandomNumberGenerator.Fill(dest);
    }

    private sealed class ReproducibleSource(string seed, DateTimeOffset time) : IdentitySource
    {
        public override ImageIdentity ForImage(string filename) =>
            new DerivedIdentity(seed + "\0" + Path.GetFileName(filename), time);
    }

    private sealed class DerivedIdentity(string key, DateTimeOffset time) : ImageIdentity
    {
        private readonly Dictionary<string, int> _uses = new(StringComparer.Ordinal);

        public override DateTimeOffset Timestamp => time;

        public override bool IsReproducible => true;

        public override ImageIdentity ForSecret(ReadOnlySpan<byte> secret)
        {
            byte[] salt = Encoding.UTF8.GetBytes("imagebuild-secret-seed/1\0" + key);
            byte[] seed = Rfc2898DeriveBytes.Pbkdf2(secret, salt, SecretSeedIterations, HashAlgorithmName.SHA256, 32);
            return new DerivedIdentity(key + "\0secret:" + Convert.ToHexString(seed), time);
        }

        protected override void Fill(string purpose, Span<byte> dest)
        {
            // the n-th value asked for one purpose: two fields of one image never share a value
            _uses.TryGetValue(purpose, out int n);
            _uses[purpose] = n + 1;
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(Encoding.UTF8.GetBytes($"imagebuild-identity\0{key}\0{purpose}\0{n}"), hash);
            hash[..dest.Length].CopyTo(dest);
        }
    }
}

/// <summary>The identifiers and timestamp of one image being written (see <see cref="IdentitySource"/>).</summary>
public abstract class ImageIdentity
{
    /// <summary>The time recorded in the image (creation or modification time).</summary>
    public abstract DateTimeOffset Timestamp { get; }

    /// <summary>A version-4 (random-form) RFC 4122 UUID for the named field.</summary>
    public Guid NewUuid(string purpose)
    {
        Span<byte> b = stackalloc byte[16];
        Fill(purpose, b);
        b[6] = (byte)((b[6] & 0x0F) | 0x40); // version 4
        b[8] = (byte)((b[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(b, bigEndian: true);
    }

    /// <summary>A 32-bit value for the named field (VMDK CID).</summary>
    public uint NewUInt32(string purpose)
    {
        Span<byte> b = stackalloc byte[4];
        Fill(purpose, b);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    /// <summary>
    /// Key material of any length for the named field (LUKS master keys, salts, anti-forensic stripes): random from
    /// the system's generator on the command line, derived from the seed in reproducible builds.
    /// </summary>
    public void NewBytes(string purpose, Span<byte> dest)
    {
        for (int done = 0; done < dest.Length; done += 32)
            Fill(purpose, dest.Slice(done, Math.Min(32, dest.Length - done)));
    }

    /// <summary>
    /// The identity to take key material from when it protects <paramref name="secret"/> (a LUKS master key, salts and
    /// stripes under a passphrase). Random identities are returned as they are. A derived identity is re-seeded with
    /// PBKDF2-HMAC-SHA256 of the secret (<see cref="SecretSeedIterations"/> rounds, salted with the seed): the same seed
    /// and secret give the same bytes, but nobody holding only the seed (a recipe and its inputs, SOURCE_DATE_EPOCH and
    /// a file name) can compute the key material; finding it costs as much as guessing the passphrase.
    /// </summary>
    public virtual ImageIdentity ForSecret(ReadOnlySpan<byte> secret) => this;

    /// <summary>PBKDF2 rounds of <see cref="ForSecret"/> (OWASP's 2023 figure for HMAC-SHA256).</summary>
    public const int SecretSeedIterations = 600_000;

    /// <summary>
    /// Whether this identity is derived from a seed (recipes, build hosts, SOURCE_DATE_EPOCH): then nothing written
    /// may depend on timing either, e.g. PBKDF2 iteration counts come from a fixed rate instead of a benchmark.
    /// </summary>
    public virtual bool IsReproducible => false;

    /// <summary>Fills <paramref name="dest"/> (at most 32 bytes) with the value for <paramref name="purpose"/>.</summary>
    protected abstract void Fill(string purpose, Span<byte> dest);
}
