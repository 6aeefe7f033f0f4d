using System.Globalization;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Qed;

/// <summary>
/// Helpers for the QED tests: creating images with qemu-img or with us, and replaying qemu-io's write commands
/// ("write -P p off len", "write -z off len", "discard off len") on our device, so that the same sequence can be
/// run by both and the files compared byte for byte.
/// </summary>
internal static class QedTestSupport
{
    public static ImageContext Ctx() => ImageContext.CreateDefault();

    public static List<KeyValuePair<string, string>> ParseOptions(string options)
    {
        var opts = new List<KeyValuePair<string, string>>();
        foreach (var part in options.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            opts.Add(new(part[..eq], part[(eq + 1)..]));
        }
        return opts;
    }

    public static void CreateOurs(string path, long? size, string options, string? backing = null, string? backingFormat = null) =>
        ImageCreator.Create(Ctx(), new CreateImageRequest
        {
            Filename = path, Format = "qed", Size = size, Options = ParseOptions(options),
            BackingFile = backing, BackingFormat = backingFormat, BackingUnsafe = size is not null,
        }, null);

    public static void CreateQemu(string path, long? size, string options, string? backing = null, string? backingFormat = null)
    {
        var args = new List<string> { "create", "-q", "-f", "qed" };
        if (size is not null) args.Add("-u");
        if (options.Length > 0) { args.Add("-o"); args.Add(options); }
        if (backing is not null) { args.Add("-b"); args.Add(backing); }
        if (backingFormat is not null) { args.Add("-F"); args.Add(backingFormat); }
        args.Add(path);
        if (size is { } s) args.Add(s.ToString(CultureInfo.InvariantCulture));
        QemuOracle.ImgOk([.. args]);
    }

    public static BlockDevice Open(string path, bool writable = false) =>
        ImageOpener.Open(Ctx(), path, new OpenOptions { Format = "qed", Writable = writable });

    /// <summary>Runs qemu-io commands on a qed image (failing on any error it reports).</summary>
    public static void QemuIo(string image, params string[] commands)
    {
        var args = new List<string> { "-f", "qed" };
        foreach (var c in commands) { args.Add("-c"); args.Add(c); }
        args.Add(image);
        QemuOracle.IoOk([.. args]);
    }

    /// <summary>
    /// Runs qemu-io commands and then qemu-io's "abort", so that qemu never closes the image: the file shows what
    /// it holds while in use (the need-check bit, before the clean close clears it).
    /// </summary>
    public static void QemuIoThenAbort(string image, params string[] commands)
    {
        var args = new List<string> { "-f", "qed" };
        foreach (var c in commands) { args.Add("-c"); args.Add(c); }
        args.Add("-c");
        args.Add("abort");
        args.Add(image);
        var r = QemuOracle.Run("/bin/sh", ["-c", "ulimit -c 0; exec \"$0\" \"$@\"", QemuOracle.QemuIo, .. args]);
        Assert.AreNotEqual(0, r.ExitCode, "qemu-io abort should not exit cleanly");
        Assert.IsFalse(r.StdOut.Contains("failed", StringComparison.OrdinalIgnoreCase), r.StdOut + r.StdErr);
    }

    /// <summary>Applies qemu-io write commands to our device, as qemu-io issues them.</summary>
    public static void Apply(BlockDevice dev, params string[] commands)
    {
        foreach (var c in commands)
        {
            var words = c.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long Size(string s) => ParseSize(s);
            switch (words)
            {
                case ["write", "-P", var p, var off, var len]:
                    {
                        var buf = new byte[Size(len)];
                        Array.Fill(buf, (byte)int.Parse(p.Replace("0x", "", StringComparison.Ordinal), p.StartsWith("0x", StringComparison.Ordinal) ? NumberStyles.HexNumber : NumberStyles.Integer, CultureInfo.InvariantCulture));
                        dev.Write(Size(off), buf);
                        break;
                    }
                case ["write", "-z", var off, var len]:
                    dev.WriteZeroes(Size(off), Size(len), WriteZeroesFlags.None);
                    break;
                case ["write", "-z", "-u", var off, var len]:
                    dev.WriteZeroes(Size(off), Size(len), WriteZeroesFlags.MayUnmap);
                    break;
                case ["discard", var off, var len]:
                    dev.Discard(Size(off), Size(len));
                    break;
                default:
                    throw new ArgumentException("unknown command " + c);
            }
        }
    }

    public static long ParseSize(string s)
    {
        long mul = char.ToLowerInvariant(s[^1]) switch { 'k' => 1024, 'm' => 1 << 20, 'g' => 1 << 30, _ => 1 };
        string digits = mul == 1 ? s : s[..^1];
        return long.Parse(digits, CultureInfo.InvariantCulture) * mul;
    }

    /// <summary>MD5 of everything the device reads (the qcow2 tests' helper serves every format).</summary>
    public static string Md5OfDevice(BlockDevice dev) => Qcow2.Qcow2TestSupport.Md5OfDevice(dev);

    public static string QemuRawMd5(TempDir tmp, string image) => Qcow2.Qcow2TestSupport.QemuRawMd5(tmp, image);

    /// <summary>Asserts two files hold the same bytes, naming the first difference.</summary>
    public static void AssertSameBytes(string expected, string actual, string what)
    {
        byte[] e = File.ReadAllBytes(expected), a = File.ReadAllBytes(actual);
        int n = Math.Min(e.Length, a.Length);
        int i = 0;
        while (i < n && e[i] == a[i]) i++;
        if (i < n)
            Assert.Fail($"{what}: first difference at byte {i} (0x{i:x}): qemu {e[i]:x2}, ours {a[i]:x2}");
        Assert.AreEqual(e.Length, a.Length, $"{what}: file lengths");
    }

    public static ulong Features(string image)
    {
        using var fs = File.OpenRead(image);
        var b = new byte[8];
        fs.Position = 16;
        fs.ReadExactly(b);
        return BitConverter.ToUInt64(b);
    }

    /// <summary>Overwrites <paramref name="width"/> little-endian bytes of a file.</summary>
    public static void Poke(string image, long offset, ulong value, int width = 8)
    {
        using var fs = new FileStream(image, FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        var b = BitConverter.GetBytes(value);
        fs.Write(b, 0, width);
    }
}
