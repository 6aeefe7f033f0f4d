using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Crypto;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Luks;

/// <summary>
/// qemu's block_crypto_co_create_opts_luks: preallocation and the option names are checked before the file is
/// created; then the key-secret, the secret and the LUKS settings; the file is sized to header + size (metadata
/// preallocation counts as off) before the header and slot 0 are written. On any error after the file was created
/// it is deleted, as qemu deletes it.
/// </summary>
public static class LuksCreator
{
    public static void Create(CreateRequest request)
    {
        var o = request.Options;
        string? preallocText = o.GetString("preallocation");
        var prealloc = preallocText == "metadata" ? Preallocation.Off : FileProtocol.ParsePreallocation(preallocText);
        var settings = LuksOptions.Settings(o);
        settings.CheckNames();
        string? secretId = o.GetString(LuksOptions.KeySecret);

        var file = HostFile.Create(request.Filename, request.Context.HostFaults);
        bool done = false;
        try
        {
            if (secretId is null) throw new ImageException(LuksOptions.KeySecretRequired);
            byte[] passphrase = Encoding.UTF8.GetBytes(request.Context.Secrets.GetUtf8(secretId));
            try
            {
                var identity = request.Context.Identity.ForImage(request.Filename);
                using var volume = LuksVolume.Format(settings, passphrase, identity,
                    headerLength =>
                    {
                        if (headerLength > long.MaxValue - request.Size)
                            throw new ImageException("The requested file size is too large") { Errno = SnapshotException.EFBIG };
                        FileProtocol.Extend(file, 0, headerLength + request.Size, prealloc);
                    },
                    (offset, data) => file.Write(offset, data));
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(passphrase);
            }
            done = true;
        }
        finally
        {
            file.Dispose();
            if (!done) TryDelete(request.Filename);
        }
    }

    private static void TryDelete(string path)
    {
        try { System.IO.File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
