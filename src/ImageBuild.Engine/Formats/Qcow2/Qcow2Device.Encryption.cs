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
                throw new ImageException("Encrypted qcow2 images (LUKS) are not supported yet");
        }
    }

    /// <summary>The cipher for data I/O; an image opened without one (for info) has no readable data.</summary>
    private Qcow2Crypto Crypto => _crypto ?? throw new ImageException(QcowAesCipher.KeySecretRequired);

    /// <summary>The "encrypt" member of info's format-specific data (qemu's ImageInfoSpecificQCow2Encryption).</summary>
    private QapiObject? EncryptInfo() => Header.CryptMethod switch
    {
        CryptAes => new QapiObject().Add("format", "aes"),
        _ => null,
    };

    /// <summary>Decrypts data read from normal clusters.</summary>
    private void DecryptRead(long guestOffset, long hostOffset, Span<byte> data)
    {
        if (IsEncrypted)
            Crypto.Decrypt(guestOffset, hostOffset, data);
    }
}
