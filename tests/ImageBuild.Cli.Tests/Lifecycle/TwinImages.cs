using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// Runs one command line through qemu-img and imagebuild on twin copies of the same images (directories q/ and i/)
/// and compares exit code, stdout, stderr and the resulting images.
/// </summary>
internal static partial class TwinImages
{
    public static (int Rc, string Out, string Err) Ours(string cwd, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        string old = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = cwd;
            int rc = Program.Run(args, o, e);
            return (rc, o.ToString(), e.ToString());
        }
        finally
        {
            Environment.CurrentDirectory = old;
        }
    }

    /// <summary>qemu's auto-generated node names ("#block123") differ from run to run.</summary>
    public static string Normalize(string text) => NodeName().Replace(text, "#blockN");

    [GeneratedRegex("#block[0-9]+")]
    private static partial Regex NodeName();

    /// <summary>Copies <paramref name="files"/> into fresh q/ and i/ directories, runs both tools there, asserts the same outcome.</summary>
    public static (string Q, string I, int Rc) Run(TempDir tmp, string[] files, params string[] args)
    {
        string q = tmp["q"], i = tmp["i"];
        foreach (var d in new[] { q, i })
        {
            if (Directory.Exists(d)) Directory.Delete(d, true);
            Directory.CreateDirectory(d);
            foreach (var f in files) File.Copy(tmp[f], Path.Combine(d, f));
        }
        var theirs = QemuOracle.Run(QemuOracle.QemuImg, args, q);
        var ours = Ours(i, args);
        string what = string.Join(' ', args);
        Assert.AreEqual(theirs.ExitCode, ours.Rc, $"exit code of {what}: {ours.Err}");
        Assert.AreEqual(theirs.StdOut, ours.Out, $"stdout of {what}");
        Assert.AreEqual(Normalize(theirs.StdErr.Replace("qemu-img:", "imagebuild:", StringComparison.Ordinal).Replace("'qemu-img ", "'imagebuild ", StringComparison.Ordinal)), Normalize(ours.Err), $"stderr of {what}");
        return (q, i, ours.Rc);
    }

    /// <summary>Ours passes qemu-img check, reads the same as qemu's, and qemu-img info (JSON, sizes on disk aside) is identical.</summary>
    public static void AssertSameImage(string qPath, string iPath, bool sameBytes)
    {
        var check = QemuOracle.Img("check", iPath);
        Assert.AreEqual(0, check.ExitCode, $"qemu-img check {iPath}: {check.StdOut}{check.StdErr}");
        Assert.AreEqual(Info(qPath), Info(iPath), "qemu-img info --output=json");
        var cmp = QemuOracle.Img("compare", qPath, iPath);
        Assert.AreEqual(0, cmp.ExitCode, $"qemu-img compare: {cmp.StdOut}{cmp.StdErr}");
        if (sameBytes)
            Assert.IsTrue(File.ReadAllBytes(qPath).AsSpan().SequenceEqual(File.ReadAllBytes(iPath)), $"{iPath} differs from qemu-img's result byte for byte");
    }

    private static string Info(string path) =>
        string.Join('\n', QemuOracle.ImgOk("info", "--output=json", path).Split('\n')
            .Where(l => !l.Contains("filename\"", StringComparison.Ordinal) && !l.Contains("\"actual-size\"", StringComparison.Ordinal)));

    /// <summary>The bits of every persistent bitmap of a qcow2 image, read straight from the file (name → bitmap bytes).</summary>
    public static Dictionary<string, byte[]> BitmapBits(string path)
    {
        var d = File.ReadAllBytes(path);
        var result = new Dictionary<string, byte[]>();
        int cs = 1 << (int)BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(20));
        long size = (long)BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan(24));
        int o = (int)BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(100));
        while (true)
        {
            uint type = BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(o));
            uint len = BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(o + 4));
            if (type == 0) return result;
            if (type == 0x23852875)
            {
                uint n = BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(o + 8));
                int p = (int)BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan(o + 24));
                for (int k = 0; k < n; k++)
                {
                    long table = (long)BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan(p));
                    int tsize = (int)BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(p + 8));
                    int gran = d[p + 17];
                    int nameLen = BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(p + 18));
                    int extra = (int)BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(p + 20));
                    string name = Encoding.UTF8.GetString(d, p + 24 + extra, nameLen);
                    long bits = (size + (1L << gran) - 1) >> gran;
                    var bytes = new byte[(bits + 7) / 8];
                    for (int t = 0; t < tsize; t++)
                    {
                        ulong e = BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan((int)table + t * 8));
                        long off = (long)(e & 0x00FF_FFFF_FFFF_FE00UL);
                        int start = t * cs, count = Math.Min(cs, bytes.Length - start);
                        if (count <= 0) break;
                        if (off != 0) d.AsSpan((int)off, count).CopyTo(bytes.AsSpan(start));
                        else if ((e & 1) != 0) bytes.AsSpan(start, count).Fill(0xFF);
                    }
                    result[name] = bytes;
                    p += (24 + extra + nameLen + 7) & ~7;
                }
            }
            o += 8 + (int)((len + 7) & ~7u);
        }
    }
}
