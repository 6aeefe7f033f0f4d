using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Qcow;

internal static class QcowTestSupport
{
    public static ImageContext Ctx() => ImageContext.CreateDefault();

    /// <summary>
    /// A qemu --object secret whose value is in a file next to <paramref name="nearPath"/> (a test's temporary
    /// directory, removed with it), so that no passphrase appears on a command line a failing test prints.
    /// </summary>
    public static string SecretObject(string id, string value, string nearPath)
    {
        string name = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)))[..12];
        string file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(nearPath))!, $"{id}-{name}.secret");
        if (!File.Exists(file))
            File.WriteAllText(file, value);
        return $"secret,id={id},file={file}";
    }

    /// <summary>"a=b,c=d" as option pairs (no escaping needed in these tests).</summary>
    public static List<KeyValuePair<string, string>> OptionPairs(string options) =>
        options.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => new KeyValuePair<string, string>(p[..p.IndexOf('=')], p[(p.IndexOf('=') + 1)..])).ToList();

    /// <summary>Our create, as "imagebuild create -f qcow -u [-b backing -F fmt] [-o options] path size".</summary>
    public static void CreateOurs(string path, long size, string options = "", string? backing = null, ImageContext? ctx = null) =>
        ImageCreator.Create(ctx ?? Ctx(), new CreateImageRequest
        {
            Filename = path, Format = "qcow", Size = size, Options = OptionPairs(options),
            BackingFile = backing, BackingFormat = backing is null ? null : "raw", BackingUnsafe = true,
        }, null);

    /// <summary>qemu-img create -f qcow -u, with the same arguments.</summary>
    public static void CreateQemu(string path, long size, string options = "", string? backing = null)
    {
        var args = new List<string> { "create", "-q", "-u", "-f", "qcow" };
        if (backing is not null) args.AddRange(["-b", backing, "-F", "raw"]);
        if (options.Length > 0) args.AddRange(["-o", options]);
        args.Add(path);
        args.Add(size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        QemuOracle.ImgOk([.. args]);
    }

    public static BlockDevice Open(string path, bool writable = false, ImageContext? ctx = null, bool noBacking = false) =>
        ImageOpener.Open(ctx ?? Ctx(), path, new OpenOptions { Format = "qcow", Writable = writable, NoBacking = noBacking });

    /// <summary>qemu-io -f qcow with the given commands; fails the test unless every command succeeds.</summary>
    public static void QemuIo(string image, params string[] commands)
    {
        var args = new List<string> { "-f", "qcow" };
        foreach (var c in commands) args.AddRange(["-c", c]);
        args.Add(image);
        QemuOracle.IoOk([.. args]);
    }

    /// <summary>A qcow header with the given fields and everything else as qemu creates a 1 MiB image.</summary>
    public static byte[] Header(ulong size = 1 << 20, byte clusterBits = 12, byte l2Bits = 9, uint crypt = 0, ulong l1Offset = 48,
        ulong backingOffset = 0, uint backingSize = 0, uint version = 1)
    {
        var h = new byte[48];
        BinaryPrimitives.WriteUInt32BigEndian(h, 0x514649FB);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), version);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(8), backingOffset);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(16), backingSize);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(24), size);
        h[32] = clusterBits;
        h[33] = l2Bits;
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(36), crypt);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(40), l1Offset);
        return h;
    }

    /// <summary>
    /// A 1 MiB image (4 KiB clusters) whose L1 entry 0 names an L2 table at 4096 holding <paramref name="entries"/>,
    /// followed by <paramref name="data"/> from 8192 on.
    /// </summary>
    public static byte[] ImageWithL2(IReadOnlyDictionary<int, ulong> entries, byte[]? data = null)
    {
        var img = new byte[8192 + (data?.Length ?? 0)];
        Header().CopyTo(img, 0);
        BinaryPrimitives.WriteUInt64BigEndian(img.AsSpan(48), 4096);
        foreach (var (i, e) in entries)
            BinaryPrimitives.WriteUInt64BigEndian(img.AsSpan(4096 + i * 8), e);
        data?.CopyTo(img, 8192);
        return img;
    }
}
