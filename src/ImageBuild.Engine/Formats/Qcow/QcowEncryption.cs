using ImageBuild.Engine.Block;
using ImageBuild.Engine.Crypto;

namespace ImageBuild.Engine.Formats.Qcow;

/// <summary>
/// qcow_open's handling of the <c>encrypt.*</c> runtime options: <c>encrypt.format</c> must agree with the header
/// (qemu's messages), and an AES image gets its cipher from the secret <c>encrypt.key-secret</c> names, unless it is
/// opened for metadata only (info), which needs no key.
/// </summary>
internal static class QcowEncryption
{
    /// <summary>The runtime options the qcow driver takes.</summary>
    public static readonly string[] RuntimeOptions = ["encrypt.format", "encrypt.key-secret"];

    /// <summary>The cipher for an AES image (null when the image is not encrypted or no data is read).</summary>
    public static QcowAesCipher? Open(OpenRequest request, bool encrypted)
    {
        string? format = request.DriverOption("encrypt.format");
        if (!encrypted)
        {
            if (format is not null)
                throw new ImageException($"No encryption in image header, but options specified format '{format}'");
            return null;
        }
        if (format is not null && format != "aes")
            throw new ImageException($"Header reported 'aes' encryption format but options specify '{format}'");
        return request.NoIo ? null : QcowAesCipher.FromSecret(request.Context.Secrets, request.DriverOption("encrypt.key-secret"));
    }
}
