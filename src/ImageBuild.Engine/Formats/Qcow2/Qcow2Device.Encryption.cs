using ImageBuild.Engine.Block;
using ImageBuild.Engine.Crypto;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// Encryption (qcow2_update_options_part2 and qcow2_open's crypto set-up): the <c>encrypt.format</c> runtime option
/// must agree with the header, the cipher comes from the secret <c>encrypt.key-secret</c> names, and an image opened
/// for metadata only (info) needs no key. Encrypted data is read and written in whole 512-byte sectors.
/// </summary>
public sealed partial class Qcow2Device
{
    /// <summary>The runtime options of the qcow2 driver this engine takes.</summary>
    internal static readonly string[] RuntimeOptionKeys = ["encrypt.format", "encrypt.key-secret"];

    internal const uint CryptNone = 0, CryptAes = 1, CryptLuks = 2;

    /// <summary>The data cipher (null: not encrypted, or opened without I/O).</summary>
    private Qcow2Crypto? _crypto;

    /// <summary>Where the LUKS header lives (the crypto header extension: offset and length in bytes).</summary>
    internal (ulong Offset, ulong Length)? CryptoHeader;

    public override bool IsEncrypted => Header.CryptMethod != CryptNone;

    /// <summary>qemu sets the request alignment of an encrypted image to the crypto sector size.</summary>
    protected override int RequestAlignment => IsEncrypted ? Qcow2Crypto.SectorSize : 1;

    /// <summary>Checks the encryption options against the header and sets up the cipher for data I/O.</summary>
    private void OpenEncryption(OpenRequest? request, bool noIo)
    {
        string? format = request?.DriverOption("encrypt.format");
        switch (Header.CryptMethod)
        {
            case CryptNone:
                if (format is not null)
                    throw new ImageException($"No encryption in image header, but options specified format '{format}'");
                return;
            case CryptAes:
                if (format is not null && format != "aes")
                    throw new ImageException($"Header reported 'aes' encryption format but options specify '{format}'");
                if (noIo)
                    return;
                _crypto = Qcow2Crypto.ForAes(QcowAesCipher.FromSecret(_context.Secrets, request?.DriverOption("encrypt.key-secret")));
                return;
            default:
                if (format is not null && format != "luks")
                    throw new ImageException($"Header reported 'luks' encryption format but options specify '{format}'");
                OpenLuks(request, noIo);
                return;
        }
    }

    /// <summary>The LUKS volume's header (always, for info and amend) and, with the key, its unlocked cipher.</summary>
    private LuksVolume? _luks;

    /// <summary>The secret id the image was opened with (amend unlocks new key slots with it).</summary>
    private string? _keySecretId;

    /// <summary>
    /// qcow2_do_open for crypt_method 2: the LUKS header is read from the clusters the crypto header extension
    /// names (qemu's qcow2_crypto_hdr_read_func, which refuses reads past the extension's length), unlocked with the
    /// passphrase of the secret <c>encrypt.key-secret</c> names unless the open is for metadata only.
    /// </summary>
    private void OpenLuks(OpenRequest? request, bool noIo)
    {
        var (offset, _) = CryptoHeader!.Value;
        if (offset % (ulong)ClusterSizeInt != 0)
            throw new ImageException($"Encryption header offset '{offset}' is not a multiple of cluster size '{ClusterSizeInt}'");
        if (noIo)
        {
            _luks = LuksVolume.OpenHeader(ReadCryptoHeader);
            return;
        }
        _keySecretId = request?.DriverOption("encrypt.key-secret");
        if (_keySecretId is null)
            throw new ImageException(QcowAesCipher.KeySecretRequired);
        byte[] passphrase = System.Text.Encoding.UTF8.GetBytes(_context.Secrets.GetUtf8(_keySecretId));
        try
        {
            _luks = LuksVolume.Open(ReadCryptoHeader, passphrase);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(passphrase);
        }
        _crypto = Qcow2Crypto.ForLuks(_luks);
    }

    /// <summary>qcow2_crypto_hdr_read_func: bytes of the LUKS header area, never past the extension's length.</summary>
    private void ReadCryptoHeader(long offset, Span<byte> buffer)
    {
        var (start, length) = CryptoHeader!.Value;
        if ((ulong)offset + (ulong)buffer.Length > length)
            throw new ImageException("Request for data outside of extension header");
        _file.Read((long)start + offset, buffer);
    }

    /// <summary>qcow2_crypto_hdr_write_func: the same bounds as a read.</summary>
    private void WriteCryptoHeader(long offset, ReadOnlySpan<byte> data)
    {
        var (start, length) = CryptoHeader!.Value;
        if ((ulong)offset + (ulong)data.Length > length)
            throw new ImageException("Request for data outside of extension header");
        _file.Write((long)start + offset, data);
    }

    /// <summary>
    /// qcow2_set_up_encryption on a new image: the key's secret is looked up first (qemu's messages), then for LUKS
    /// the header clusters are allocated where the refcounts put them next (after the L1 table), zeroed whole, and
    /// the volume is formatted into them; the header then records the method and, for LUKS, the extension.
    /// </summary>
    internal void SetUpEncryption(Qcow2EncryptionOptions options, ImageIdentity identity)
    {
        if (options.IsAes)
        {
            QcowAesCipher.FromSecret(_context.Secrets, options.KeySecret).Dispose();
            Header.CryptMethod = CryptAes;
            UpdateHeader();
            return;
        }
        if (options.KeySecret is null)
            throw new ImageException(QcowAesCipher.KeySecretRequired);
        byte[] passphrase = System.Text.Encoding.UTF8.GetBytes(_context.Secrets.GetUtf8(options.KeySecret));
        try
        {
            var volume = LuksVolume.Format(options.LuksSettings(), passphrase, identity, length =>
            {
                long clusters = (length + ClusterSizeInt - 1) >> ClusterBits;
                long offset = Refcounts.AllocClusters(clusters << ClusterBits);
                CryptoHeader = ((ulong)offset, (ulong)length);
                _file.WriteZeros(offset, clusters << ClusterBits);
            }, WriteCryptoHeader);
            volume.Dispose();
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(passphrase);
        }
        Header.CryptMethod = CryptLuks;
        UpdateHeader();
    }

    /// <summary>The cipher for data I/O; an image opened without one (for info) has no readable data.</summary>
    private Qcow2Crypto Crypto => _crypto ?? throw new ImageException(QcowAesCipher.KeySecretRequired);

    /// <summary>
    /// The key-slot part of amend (qcrypto_block_amend_options through the crypto header callbacks): the
    /// <c>encrypt.*</c> amend options visited as QCryptoBlockAmendOptionsLUKS, then the LUKS volume's rules.
    /// </summary>
    private void AmendEncryption(Options.OptionValues o, bool force)
    {
        string state = o.GetString("encrypt.state") ?? throw new ImageException("Parameter 'state' is missing");
        long? iterTime = o.GetNumber("encrypt.iter-time");
        var options = new LuksAmendOptions
        {
            State = state,
            Keyslot = o.GetNumber("encrypt.keyslot"),
            OldSecret = o.GetString("encrypt.old-secret"),
            NewSecret = o.GetString("encrypt.new-secret"),
            IterTime = iterTime is null ? null : (ulong)iterTime.Value,
        };
        BeginModification();
        _luks!.Amend(options, force, _context.Secrets, _keySecretId, _context.Identity.ForImage(Filename),
            ReadCryptoHeader, WriteCryptoHeader);
        _file.Flush();
    }

    /// <summary>The "encrypt" member of info's format-specific data (qemu's ImageInfoSpecificQCow2Encryption).</summary>
    private QapiObject? EncryptInfo()
    {
        switch (Header.CryptMethod)
        {
            case CryptAes:
                return new QapiObject().Add("format", "aes");
            case CryptLuks when _luks is not null:
                var info = new QapiObject().Add("format", "luks");
                _luks.AddInfo(info);
                return info;
            default:
                return null;
        }
    }

    /// <summary>Decrypts data read from normal clusters.</summary>
    private void DecryptRead(long guestOffset, long hostOffset, Span<byte> data)
    {
        if (IsEncrypted)
            Crypto.Decrypt(guestOffset, hostOffset, data);
    }
}
