using System.Text;
using ImageBuild.Engine;
using ImageBuild.Packaging.Checksums;
using ImageBuild.Packaging.Tests.Compression;

namespace ImageBuild.Packaging.Tests.Checksums;

[TestClass]
public sealed class ChecksumFileTests
{
    /// <summary>Files in a temp dir, deliberately not in name order, one empty and one over a 1 MiB chunk.</summary>
    private static List<ChecksumEntry> MakeFiles(TempDir dir)
    {
        var random = new Random(7);
        var entries = new List<ChecksumEntry>();
        foreach ((string name, int size) in (ReadOnlySpan<(string, int)>)[("zeta.qcow2", 3 << 20), ("alpha.ova", 1000), ("empty", 0), ("m id.box", 70_000)])
        {
            byte[] data = new byte[size];
            random.NextBytes(data);
            File.WriteAllBytes(dir.File(name), data);
            entries.Add(new ChecksumEntry(name, dir.File(name)));
        }
        return entries;
    }

    [TestMethod]
    [DataRow(ChecksumAlgorithm.Sha256, "sha256sum")]
    [DataRow(ChecksumAlgorithm.Sha512, "sha512sum")]
    public void CoreutilsAcceptsTheFileInOrder(ChecksumAlgorithm algorithm, string tool)
    {
        using var dir = new TempDir();
        List<ChecksumEntry> entries = MakeFiles(dir);
        string sums = dir.File(ChecksumFile.DefaultName(algorithm));
        var seen = new List<double>();
        ChecksumFile.Write(sums, algorithm, entries, p => { lock (seen) seen.Add(p); }, CancellationToken.None);

        string check = Encoding.UTF8.GetString(CliTool.RunOk(tool, dir.Path, "-c", Path.GetFileName(sums)));
        Assert.AreEqual(string.Concat(entries.Select(e => e.Name + ": OK\n")), check, "sha*sum -c did not check every file, in order");
        // Byte for byte what the tool itself prints for the same names in the same order.
        byte[] expected = CliTool.RunOk(tool, dir.Path, [.. entries.Select(e => e.Name)]);
        CollectionAssert.AreEqual(expected, File.ReadAllBytes(sums));
        Assert.AreEqual(100, seen[^1]);
        for (int i = 1; i < seen.Count; i++) Assert.IsTrue(seen[i] >= seen[i - 1], "progress went backwards");
    }

    [TestMethod]
    public void AChangedFileFailsTheCheck()
    {
        using var dir = new TempDir();
        List<ChecksumEntry> entries = MakeFiles(dir);
        ChecksumFile.Write(dir.File("SHA256SUMS"), ChecksumAlgorithm.Sha256, entries, null, CancellationToken.None);
        using (var f = new FileStream(dir.File("alpha.ova"), FileMode.Open)) { f.Position = 500; f.WriteByte((byte)(f.ReadByte() ^ 1)); }
        CliTool.Result r = CliTool.Run("sha256sum", dir.Path, "-c", "SHA256SUMS");
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(Encoding.UTF8.GetString(r.StdOut), "alpha.ova: FAILED");
    }

    [TestMethod]
    public void AMissingFileIsOneLineNamingItAndWritesNothing()
    {
        using var dir = new TempDir();
        List<ChecksumEntry> entries = MakeFiles(dir);
        string missing = dir.File("gone.img");
        entries.Insert(2, new ChecksumEntry("gone.img", missing));
        string sums = dir.File("SHA512SUMS");
        var e = Assert.ThrowsExactly<ImageException>(() =>
            ChecksumFile.Write(sums, ChecksumAlgorithm.Sha512, entries, null, CancellationToken.None));
        Assert.AreEqual($"{missing}: cannot checksum: No such file or directory", e.Message);
        Assert.IsFalse(File.Exists(sums));
    }

    [TestMethod]
    [DataRow("two\nlines")]
    [DataRow("back\\slash")]
    [DataRow("carriage\rreturn")]
    [DataRow("")]
    public void NamesCoreutilsWouldEscapeAreRefused(string name)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("f"), [1]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ChecksumFile.Write(dir.File("SUMS"), ChecksumAlgorithm.Sha256,
            [new ChecksumEntry(name, dir.File("f"))], null, CancellationToken.None));
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
        Assert.IsFalse(File.Exists(dir.File("SUMS")));
    }

    [TestMethod]
    public void CancellationWritesNothing()
    {
        using var dir = new TempDir();
        List<ChecksumEntry> entries = MakeFiles(dir);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            ChecksumFile.Write(dir.File("SUMS"), ChecksumAlgorithm.Sha256, entries, null, cts.Token));
        Assert.IsFalse(File.Exists(dir.File("SUMS")));
    }

    [TestMethod]
    public void ThrowingFromProgressStopsWithThatException()
    {
        using var dir = new TempDir();
        List<ChecksumEntry> entries = MakeFiles(dir);
        Assert.ThrowsExactly<OperationCanceledException>(() => ChecksumFile.Write(dir.File("SUMS"), ChecksumAlgorithm.Sha256,
            entries, _ => throw new OperationCanceledException(), CancellationToken.None));
        Assert.IsFalse(File.Exists(dir.File("SUMS")));
    }

    [TestMethod]
    public void NamesAndDefaults()
    {
        Assert.IsTrue(ChecksumFile.TryParse("sha256", out ChecksumAlgorithm a));
        Assert.AreEqual(ChecksumAlgorithm.Sha256, a);
        Assert.IsTrue(ChecksumFile.TryParse("sha512", out a));
        Assert.AreEqual(ChecksumAlgorithm.Sha512, a);
        foreach (string bad in (string[])["SHA256", "sha1", "md5", "", "sha-256"]) Assert.IsFalse(ChecksumFile.TryParse(bad, out _), bad);
        Assert.AreEqual("SHA256SUMS", ChecksumFile.DefaultName(ChecksumAlgorithm.Sha256));
        Assert.AreEqual("SHA512SUMS", ChecksumFile.DefaultName(ChecksumAlgorithm.Sha512));
    }
}
