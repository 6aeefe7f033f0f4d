using System.Text;
using System.Text.RegularExpressions;

namespace ImageBuild.Cli.FormatTests.Vmdk;

/// <summary>Comparing VMDK files with qemu-img's twins once the CID (random in qemu) is masked.</summary>
internal static partial class VmdkOracleImages
{
    /// <summary>qemu's DESC_SIZE: the 20 sectors after the header of a monolithic sparse file hold the descriptor.</summary>
    private const int DescSize = 20 * 512;

    [GeneratedRegex(@"\nCID=[0-9a-f]+\n")]
    private static partial Regex CidLine();

    /// <summary>
    /// Every file qemu left in <paramref name="qDir"/> exists in <paramref name="tDir"/> with the same bytes, but for
    /// the descriptor's CID line (whose hexadecimal width varies, shifting what follows it in the descriptor).
    /// </summary>
    public static void AssertSameButCid(string qDir, string tDir, string what)
    {
        var qFiles = Directory.GetFiles(qDir).Select(Path.GetFileName).Order().ToList();
        var tFiles = Directory.GetFiles(tDir).Select(Path.GetFileName).Order().ToList();
        CollectionAssert.AreEqual(qFiles, tFiles, $"{what}: the same files");
        foreach (string? name in qFiles)
        {
            string qPath = Path.Combine(qDir, name!), tPath = Path.Combine(tDir, name!);
            byte[] q = ReadHead(qPath), t = ReadHead(tPath);
            var (qText, qOthers) = Split(q);
            var (tText, tOthers) = Split(t);
            Assert.AreEqual(Mask(qText), Mask(tText), $"{what}: descriptor of {name}");
            int diff = qOthers.AsSpan().CommonPrefixLength(tOthers);
            Assert.IsTrue(diff == qOthers.Length && qOthers.Length == tOthers.Length,
                $"{what}: {name} differs at byte {diff} of what is not descriptor text");
            if (q.Length == Head)
                AssertSameTail(qPath, tPath, $"{what}: {name}");
        }
    }

    /// <summary>The part of a file read whole: the descriptor of a monolithic sparse file lies well inside it.</summary>
    private const int Head = 1 << 20;

    private static byte[] ReadHead(string path)
    {
        using var f = File.OpenRead(path);
        var buf = new byte[Math.Min(f.Length, Head)];
        f.ReadExactly(buf);
        return buf;
    }

    /// <summary>The bytes after <see cref="Head"/> (extent files of gigabytes, mostly holes) compared piece by piece.</summary>
    private static void AssertSameTail(string qPath, string tPath, string what)
    {
        using var q = File.OpenRead(qPath);
        using var t = File.OpenRead(tPath);
        Assert.AreEqual(q.Length, t.Length, $"{what}: length");
        var a = new byte[Head];
        var b = new byte[Head];
        for (long pos = Head; pos < q.Length; pos += Head)
        {
            int n = (int)Math.Min(Head, q.Length - pos);
            q.Position = t.Position = pos;
            q.ReadExactly(a, 0, n);
            t.ReadExactly(b, 0, n);
            int same = a.AsSpan(0, n).CommonPrefixLength(b.AsSpan(0, n));
            Assert.AreEqual(n, same, $"{what}: differs at byte {pos + same}");
        }
    }

    /// <summary>The descriptor text (to its first NUL) and every other byte of the file.</summary>
    private static (string Text, byte[] Others) Split(byte[] file)
    {
        bool sparse = file.Length >= 4 && file[0] == 'K' && file[1] == 'D' && file[2] == 'M' && file[3] == 'V';
        int start = sparse ? 0x200 : 0;
        int end = sparse ? Math.Min(file.Length, 0x200 + DescSize) : file.Length;
        if (start >= end) return ("", file);
        int nul = Array.IndexOf(file, (byte)0, start, end - start);
        int textEnd = nul < 0 ? end : nul;
        string text = Encoding.Latin1.GetString(file, start, textEnd - start);
        // the rest: bytes before the text, the descriptor area after the text (must be zeros), the bytes after it
        var rest = new List<byte>(file.Length);
        rest.AddRange(file.AsSpan(0, start).ToArray());
        // qemu's CID rewrite leaves the old text's last bytes after the new NUL when the new CID is shorter: those
        // few bytes (at most the CID's width) depend on the random CIDs and are not compared
        int junk = Math.Min(end - textEnd, 10);
        rest.Add(file.AsSpan(textEnd + junk, end - textEnd - junk).ContainsAnyExcept((byte)0) ? (byte)1 : (byte)0);
        rest.AddRange(file.AsSpan(end).ToArray());
        return (text, [.. rest]);
    }

    private static string Mask(string text) => CidLine().Replace(text, "\nCID=(masked)\n");
}
