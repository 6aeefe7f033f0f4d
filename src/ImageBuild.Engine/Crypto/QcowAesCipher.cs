using System.Security.Cryptography;
using ImageBuild.Engine.Secrets;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// qemu's legacy qcow/qcow2 encryption (crypt_method 1, QCRYPTO_BLOCK_FORMAT_QCOW, see crypto/block-qcow.c):
/// AES-128-CBC over 512-byte sectors, the IV of each sector its number (plain64: 64 bits little-endian, zero
/// padded). The key is the secret's text up to its first NUL, truncated to 16 bytes and padded with zeros; there is
/// no header and nothing checks the key, so a wrong one reads garbage. The sector numbers are guest sectors (both
/// drivers pass the guest offset).
/// </summary>
public sealed class QcowAesCipher : IDisposable
{
    /// <summary>The sector the IV counts (qemu's QCRYPTO_BLOCK_QCOW_SECTOR_SIZE).</summary>
    public const int SectorSize = 512;

    /// <summary>AES-128: the key length qemu uses for the qcow format.</summary>
    public const int KeyBytes = 16;

    private readonly CbcAesCipher _cbc;
    private readonly Plain64IvGenerator _ivgen = new();

    /// <summary>The cipher for a password as qemu turns it into a key.</summary>
    public QcowAesCipher(ReadOnlySpan<byte> password)
    {
        Span<byte> key = stackalloc byte[KeyBytes];
        key.Clear();
        int nul = password.IndexOf((byte)0);
        var text = nul < 0 ? password : password[..nul]; // qemu measures the password with strlen
        text[..Math.Min(KeyBytes, text.Length)].CopyTo(key);
        _cbc = new CbcAesCipher(key);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>qemu's error when an image needs its key and no <c>encrypt.key-secret</c> names one.</summary>
    public const string KeySecretRequired = "Parameter 'encrypt.key-secret' is required for cipher";

    /// <summary>
    /// The cipher for the secret <paramref name="keySecretId"/> names (qcrypto_block_qcow_init): no id is qemu's
    /// "Parameter 'encrypt.key-secret' is required for cipher", an unknown one "No secret with id 'X'", one that is
    /// not UTF-8 "Data from secret X is not valid UTF-8".
    /// </summary>
    public static QcowAesCipher FromSecret(SecretStore secrets, string? keySecretId)
    {
        if (keySecretId is null)
            throw new ImageException(KeySecretRequired);
        string text = secrets.GetUtf8(keySecretId); // validates, as qemu's qcrypto_secret_lookup_as_utf8
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        try
        {
            return new QcowAesCipher(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Encrypts whole sectors in place; the first byte of <paramref name="data"/> starts sector <paramref name="firstSector"/>.</summary>
    public void Encrypt(ulong firstSector, Span<byte> data) => Run(firstSector, data, encrypt: true);

    /// <summary>Decrypts whole sectors in place; the first byte of <paramref name="data"/> starts sector <paramref name="firstSector"/>.</summary>
    public void Decrypt(ulong firstSector, Span<byte> data) => Run(firstSector, data, encrypt: false);

    private void Run(ulong sector, Span<byte> data, bool encrypt)
    {
        if (data.Length % SectorSize != 0)
            throw new ArgumentException($"qcow AES data of {data.Length} bytes is not a whole number of {SectorSize}-byte sectors", nameof(data));
        Span<byte> iv = stackalloc byte[CbcAesCipher.BlockSize];
        for (int off = 0; off < data.Length; off += SectorSize, sector++)
        {
            _ivgen.Compute(sector, iv);
            var piece = data.Slice(off, SectorSize);
            if (encrypt) _cbc.Encrypt(iv, piece);
            else _cbc.Decrypt(iv, piece);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _cbc.Dispose();
        _ivgen.Dispose();
    }
}
