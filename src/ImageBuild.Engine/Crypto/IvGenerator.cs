namespace ImageBuild.Engine.Crypto;

/// <summary>
/// Computes the per-sector IV (or XTS tweak) from a sector number, as qemu's ivgen does: <c>plain</c> (the sector
/// number's low 32 bits, little-endian), <c>plain64</c> (all 64 bits, little-endian) and <c>essiv</c> (the plain64
/// value encrypted with AES keyed by a hash of the volume key). The rest of the IV is zero.
/// </summary>
public abstract class IvGenerator : IDisposable
{
    /// <summary>The IV generator's name as the LUKS header and qemu's ivgen-alg spell it.</summary>
    public abstract string Name { get; }

    /// <summary>Writes the IV for <paramref name="sector"/> into <paramref name="iv"/> (all of it).</summary>
    public abstract void Compute(ulong sector, Span<byte> iv);

    /// <summary>
    /// The generator <paramref name="name"/> (plain, plain64, essiv) for a volume whose cipher key is
    /// <paramref name="cipherKey"/>; <paramref name="hash"/> is essiv's hash and must be null for the others.
    /// </summary>
    public static IvGenerator Create(string name, LuksHash? hash, ReadOnlySpan<byte> cipherKey) =>
        Create(name, hash, "aes", cipherKey.Length, cipherKey);

    /// <summary>
    /// The generator <paramref name="name"/> for a volume of the cipher family <paramref name="family"/> whose single
    /// key is <paramref name="cipherKeyLength"/> bytes (half of an XTS key) and whose whole key is
    /// <paramref name="cipherKey"/> (ESSIV's cipher follows the family).
    /// </summary>
    public static IvGenerator Create(string name, LuksHash? hash, string family, int cipherKeyLength, ReadOnlySpan<byte> cipherKey) => name switch
    {
        "plain" => new PlainIvGenerator(),
        "plain64" => new Plain64IvGenerator(),
        "essiv" => new EssivIvGenerator(family, cipherKeyLength,
            hash ?? throw new ImageException("Missing IV generator hash specification"), cipherKey),
        _ => throw new ImageException($"IV generator '{name}' not supported"),
    };

    /// <inheritdoc />
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
