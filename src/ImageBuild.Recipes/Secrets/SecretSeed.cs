using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ImageBuild.Engine.Secrets;

namespace ImageBuild.Recipes.Secrets;

/// <summary>
/// The seed of the identity source of a step that uses secrets. A recipe's outputs are byte-identical across runs,
/// so an encrypted output's key material (LUKS master key, salts, stripes) comes from a seed; were that seed the
/// step's key alone, anyone holding the recipe and its inputs could compute the master key without the passphrase.
/// The seed is therefore PBKDF2-HMAC-SHA256 of the secrets' values, salted with the step's key: the same secrets and
/// key give the same bytes on every run and machine, and without the secrets the key material is as hard to find
/// as the passphrase by PBKDF2 at <see cref="Iterations"/> rounds (OWASP's 2023 figure for this hash). The seed is
/// never written, logged or recorded; the step's recorded key covers only the secrets' identities.
/// </summary>
public static class SecretSeed
{
    public const int Iterations = 600_000;

    /// <summary>The seed for a step with key <paramref name="stepKey"/> that uses secrets <paramref name="ids"/> of <paramref name="store"/>.</summary>
    public static string For(string stepKey, SecretStore store, IReadOnlyList<string> ids)
    {
        // Each secret as id, length, bytes (in id order): no two sets of secrets give the same password.
        using var password = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (string id in ids.Order(StringComparer.Ordinal))
        {
            byte[] name = Encoding.UTF8.GetBytes(id);
            byte[] value = store.Get(id);
            BinaryPrimitives.WriteInt32LittleEndian(length, name.Length);
            password.Write(length);
            password.Write(name);
            BinaryPrimitives.WriteInt32LittleEndian(length, value.Length);
            password.Write(length);
            password.Write(value);
            CryptographicOperations.ZeroMemory(value);
        }
        byte[] bytes = password.ToArray();
        byte[] salt = Encoding.UTF8.GetBytes("imagebuild-secret-seed/1\0" + stepKey);
        byte[] seed = Rfc2898DeriveBytes.Pbkdf2(bytes, salt, Iterations, HashAlgorithmName.SHA256, 32);
        CryptographicOperations.ZeroMemory(bytes);
        return stepKey + "\0secrets:" + Convert.ToHexString(seed);
    }
}
