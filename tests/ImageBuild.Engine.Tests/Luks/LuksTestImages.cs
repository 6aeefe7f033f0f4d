using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Engine.Secrets;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Luks;

/// <summary>Contexts with secrets, and luks images made by us, by qemu-img and by cryptsetup, for the driver tests.</summary>
internal static class LuksTestImages
{
    public const string Passphrase = "correct horse";

    public static ImageContext Context(params (string Id, string Value)[] secrets)
    {
        var store = new SecretStore();
        foreach (var (id, value) in secrets.Length == 0 ? [("s0", Passphrase)] : secrets)
            store.Add(id, System.Text.Encoding.UTF8.GetBytes(value));
        return new ImageContext(FormatRegistry.CreateDefault()).WithSecrets(store);
    }

    public static OpenOptions LuksOpen(bool writable = false, string? secret = "s0", bool noIo = false) => new()
    {
        Format = "luks",
        Writable = writable,
        NoIo = noIo,
        DriverOptions = secret is null ? null : new Dictionary<string, string> { ["key-secret"] = secret },
    };

    /// <summary>Creates through the engine's create operation (options as -o pairs).</summary>
    public static void Create(ImageContext ctx, string path, long size, params string[] options) =>
        ImageCreator.Create(ctx, new CreateImageRequest
        {
            Filename = path,
            Format = "luks",
            Size = size,
            Options = options.Select(o => o.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1])).ToList(),
        }, null);

    /// <summary>
    /// "secret,id=ID,file=F" for qemu with the passphrase in a key file beside <paramref name="nearPath"/>, so that no
    /// passphrase is on a command line a failing test prints.
    /// </summary>
    public static string SecretObject(string id, string passphrase, string nearPath)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(nearPath))!;
        string file = Path.Combine(dir, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(passphrase)))[..12] + ".key");
        File.WriteAllText(file, passphrase);
        return $"secret,id={id},file={file}";
    }

    /// <summary>qemu-img create -f luks, retried when qemu's benchmark fails ("Unable to get accurate CPU usage").</summary>
    public static void QemuCreate(string path, string options, string size = "1M", string passphrase = Passphrase)
    {
        ProcessResult r = null!;
        for (int attempt = 0; attempt < 30; attempt++)
        {
            if (File.Exists(path)) File.Delete(path);
            r = QemuOracle.Img("create", "-q", "-f", "luks", "--object", SecretObject("s0", passphrase, path),
                "-o", $"key-secret=s0,iter-time=10{(options.Length > 0 ? "," + options : "")}", path, size);
            if (r.ExitCode == 0) return;
            if (!r.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal)) break;
        }
        throw new AssertFailedException($"qemu-img create -f luks {options} exited {r.ExitCode}: {r.StdErr}");
    }

    public static string[] ImageOpts(string path, string passphrase = Passphrase) =>
        ["--object", SecretObject("s0", passphrase, path), "--image-opts", $"driver=luks,key-secret=s0,file.filename={path}"];

    /// <summary>The guest bytes as qemu-img convert -O raw gives them.</summary>
    public static byte[] QemuPlain(string path, string tmpRaw, string passphrase = Passphrase)
    {
        QemuOracle.ImgOk(["convert", "-O", "raw", .. ImageOpts(path, passphrase), tmpRaw]);
        return File.ReadAllBytes(tmpRaw);
    }

    /// <summary>All guest bytes as our driver reads them.</summary>
    public static byte[] OurPlain(ImageContext ctx, string path, string secret = "s0")
    {
        using var dev = ImageOpener.Open(ctx, path, LuksOpen(secret: secret));
        var all = new byte[dev.VirtualSize];
        dev.Read(0, all);
        return all;
    }

    public static byte[] Pattern(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed)).ToArray();
}
