using System.Text;
using ImageBuild.Engine.Crypto;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Secrets;

/// <summary>The encoding of a secret's data or file (qemu's QCryptoSecretFormat).</summary>
public enum SecretFormat
{
    Raw,
    Base64,
}

/// <summary>
/// One qemu "secret" object's properties (data or file, format, and keyid/iv when the value is AES-256-CBC encrypted
/// with another secret) and its loading as qemu's secret object completes. Only ids, file names and lengths ever
/// appear in its messages.
/// </summary>
public sealed record SecretObject(string Id)
{
    /// <summary>Files larger than this are refused (secrets are small; memory stays bounded).</summary>
    public const int MaxFileSize = 4 << 20;

    public string? Data { get; init; }

    /// <summary>A file holding the value, read whole (relative names from the process's working directory).</summary>
    public string? File { get; init; }

    public SecretFormat Format { get; init; } = SecretFormat.Raw;

    /// <summary>The id of a 32-byte secret that encrypts this one (AES-256-CBC, PKCS#7-style padding).</summary>
    public string? KeyId { get; init; }

    /// <summary>The base64 IV of that encryption (16 bytes).</summary>
    public string? Iv { get; init; }

    /// <summary>
    /// The secret's value as qemu computes it: the data or file bytes, decrypted with <see cref="KeyId"/> or else
    /// base64-decoded for <see cref="SecretFormat.Base64"/>. <paramref name="isOtherObject"/> tells whether an id
    /// names a non-secret object (qemu's "is not a secret").
    /// </summary>
    public byte[] Load(SecretStore store, Func<string, bool>? isOtherObject = null)
    {
        byte[] input = ReadInput();
        if (KeyId is not null)
            return Decrypt(input, store, isOtherObject);
        return Format == SecretFormat.Base64 ? QemuBase64.Decode(input) : input;
    }

    private byte[] ReadInput()
    {
        if (File is not null)
        {
            if (Data is not null)
                throw new ImageException("'file' and 'data' are mutually exclusive");
            return ReadFile(File);
        }
        if (Data is not null)
            return Encoding.UTF8.GetBytes(Data);
        throw new ImageException("Either 'file' or 'data' must be provided");
    }

    /// <summary>g_file_get_contents with glib's messages after qemu's "Unable to read F: ".</summary>
    private static byte[] ReadFile(string path)
    {
        if (Directory.Exists(path))
            throw new ImageException($"Unable to read {path}: Error reading file \u201C{path}\u201D: Is a directory");
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"Unable to read {path}: Failed to open file \u201C{path}\u201D: {HostFile.Describe(e)}");
        }
        using (stream)
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[65536];
            try
            {
                for (int n; (n = stream.Read(chunk)) > 0;)
                {
                    if (buffer.Length + n > MaxFileSize)
                        throw new ImageException($"Unable to read {path}: File \u201C{path}\u201D is too large");
                    buffer.Write(chunk, 0, n);
                }
            }
            catch (IOException e)
            {
                throw new ImageException($"Unable to read {path}: Error reading file \u201C{path}\u201D: {HostFile.Describe(e)}");
            }
            return buffer.ToArray();
        }
    }

    /// <summary>qemu's qcrypto_secret_decrypt, its checks in its order.</summary>
    private byte[] Decrypt(byte[] input, SecretStore store, Func<string, bool>? isOtherObject)
    {
        string keyId = KeyId!;
        if (!store.Contains(keyId) && isOtherObject?.Invoke(keyId) == true)
            throw new ImageException($"Object with id '{keyId}' is not a secret");
        byte[] key = store.Get(keyId);
        try
        {
            if (key.Length != 32)
                throw new ImageException("Key should be 32 bytes in length");
            if (Iv is null)
                throw new ImageException("IV is required to decrypt secret");
            byte[] iv = QemuBase64.Decode(Encoding.UTF8.GetBytes(Iv), checkNul: false);
            if (iv.Length != 16)
                throw new ImageException($"IV should be 16 bytes in length not {iv.Length}");
            byte[] text = Format == SecretFormat.Base64 ? QemuBase64.Decode(input) : input;
            if (text.Length % CbcAesCipher.BlockSize != 0)
                throw new ImageException($"Length {text.Length} must be a multiple of block size {CbcAesCipher.BlockSize}");
            if (text.Length == 0)
                return text; // qemu reads the byte before its buffer here; an empty value is what it ends with
            using (var aes = new CbcAesCipher(key))
                aes.Decrypt(iv, text);
            int pad = text[^1];
            if (pad > 16 || pad > text.Length)
            {
                Array.Clear(text);
                throw new ImageException($"Incorrect number of padding bytes ({pad}) found on decrypted data");
            }
            byte[] plain = text.AsSpan(0, text.Length - pad).ToArray();
            Array.Clear(text);
            return plain;
        }
        finally
        {
            Array.Clear(key);
        }
    }
}
