using ImageBuild.Packaging.Tar;

namespace ImageBuild.Packaging.Tests.Tar;

/// <summary>Regular members in both formats, checked against GNU tar 1.34: its bytes, its listing, its extraction.</summary>
[TestClass]
public sealed class TarFormatsTests
{
    private static readonly string LongName = new string('d', 60) + "/" + new string('e', 60) + "/payload.bin"; // 133 bytes: ustar splits it

    private static readonly byte[] Text = "hello, tar\n"u8.ToArray();
    private static readonly byte[] Script = "#!/bin/sh\necho hi\n"u8.ToArray();
    private static readonly byte[] Payload = TarScratch.NonZero(70_000, 1);
    private static readonly byte[] Block = TarScratch.NonZero(512, 2);

    [TestMethod]
    [DataRow(TarFormat.Ustar, "ustar")]
    [DataRow(TarFormat.Gnu, "oldgnu")]
    public void ArchiveIsWhatGnuTarWritesByteForByte(TarFormat format, string gnuFormat)
    {
        using var s = new TarScratch();
        s.File("a.txt", Text);
        s.File("run.sh", Script, (UnixFileMode)0b111_101_101);
        s.File("empty", []);
        s.File("exact.blk", Block);
        string[] names = format == TarFormat.Ustar ? ["a.txt", "run.sh", "empty", "exact.blk", LongName] : ["a.txt", "run.sh", "empty", "exact.blk"];
        if (format == TarFormat.Ustar) s.File(LongName, Payload);
        s.GnuTarCreate(gnuFormat, "gnu.tar", names);

        byte[] ours = Write(format, names.Contains(LongName));
        CollectionAssert.AreEqual(File.ReadAllBytes(s.PathOf("gnu.tar")), ours);
    }

    [TestMethod]
    [DataRow(TarFormat.Ustar)]
    [DataRow(TarFormat.Gnu)]
    public void GnuTarListsNamesModesOwnersMtimeAndSizes(TarFormat format)
    {
        using var s = new TarScratch();
        File.WriteAllBytes(s.PathOf("x.tar"), Write(format, format == TarFormat.Ustar));
        string listing = s.Tar("--utc", "--full-time", "--numeric-owner", "-tvf", "x.tar");
        string expected =
            "-rw-r--r-- 0/0              11 2023-11-14 22:13:20 a.txt\n" +
            "-rwxr-xr-x 0/0              18 2023-11-14 22:13:20 run.sh\n" +
            "-rw-r--r-- 0/0               0 2023-11-14 22:13:20 empty\n" +
            "-rw-r--r-- 0/0             512 2023-11-14 22:13:20 exact.blk\n" +
            (format == TarFormat.Ustar ? $"-rw-r--r-- 0/0           70000 2023-11-14 22:13:20 {LongName}\n" : "");
        Assert.AreEqual(expected, listing);
    }

    [TestMethod]
    [DataRow(TarFormat.Ustar)]
    [DataRow(TarFormat.Gnu)]
    public void GnuTarExtractsTheBytesModesAndMtime(TarFormat format)
    {
        using var s = new TarScratch();
        File.WriteAllBytes(s.PathOf("x.tar"), Write(format, format == TarFormat.Ustar));
        Directory.CreateDirectory(s.PathOf("out"));
        s.Tar("-xpf", "x.tar", "-C", "out");
        var expected = new List<(string Name, byte[] Bytes, int Mode)>
        {
            ("a.txt", Text, 0b110_100_100), ("run.sh", Script, 0b111_101_101), ("empty", [], 0b110_100_100), ("exact.blk", Block, 0b110_100_100),
        };
        if (format == TarFormat.Ustar) expected.Add((LongName, Payload, 0b110_100_100));
        foreach (var (name, bytes, mode) in expected)
        {
            string path = Path.Combine(s.PathOf("out"), name);
            CollectionAssert.AreEqual(bytes, File.ReadAllBytes(path), name);
            Assert.AreEqual((UnixFileMode)mode, TarScratch.ModeOf(path), name);
            Assert.AreEqual(DateTimeOffset.FromUnixTimeSeconds(TarScratch.Mtime).UtcDateTime, File.GetLastWriteTimeUtc(path), name);
        }
        Assert.AreEqual(expected.Count, Directory.EnumerateFiles(s.PathOf("out"), "*", SearchOption.AllDirectories).Count());
    }

    [TestMethod]
    [DataRow(TarFormat.Ustar)]
    [DataRow(TarFormat.Gnu)]
    public void TwoRunsGiveTheSameBytesAndWholeRecords(TarFormat format)
    {
        byte[] first = Write(format, format == TarFormat.Ustar);
        byte[] second = Write(format, format == TarFormat.Ustar);
        CollectionAssert.AreEqual(first, second);
        Assert.AreEqual(0, first.Length % DeterministicTarWriter.RecordSize, "padded to GNU tar's 10240-byte record");
        Assert.IsFalse(first.AsSpan(first.Length - 1024).ContainsAnyExcept((byte)0), "ends with two zero blocks");
    }

    [TestMethod]
    public void TheMtimeIsTheCallers()
    {
        using var s = new TarScratch();
        var output = new MemoryStream();
        using (var w = new DeterministicTarWriter(output, TarFormat.Ustar, 0, leaveOpen: true))
            w.AddFile("a.txt", Text);
        File.WriteAllBytes(s.PathOf("x.tar"), output.ToArray());
        StringAssert.Contains(s.Tar("--utc", "--full-time", "-tvf", "x.tar"), "1970-01-01 00:00:00 a.txt");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DeterministicTarWriter(new MemoryStream(), TarFormat.Ustar, -1));
    }

    /// <summary>The archive the tests expect, from spans and from streams alike.</summary>
    private static byte[] Write(TarFormat format, bool withLongName)
    {
        var output = new MemoryStream();
        using (var w = new DeterministicTarWriter(output, format, TarScratch.Mtime, leaveOpen: true))
        {
            w.AddFile("a.txt", Text);
            w.AddFile("run.sh", new MemoryStream(Script), Script.Length, mode: 0b111_101_101);
            w.AddFile("empty", ReadOnlySpan<byte>.Empty);
            w.AddFile("exact.blk", new MemoryStream(Block), Block.Length);
            if (withLongName) w.AddFile(LongName, new MemoryStream(Payload), Payload.Length);
        }
        return output.ToArray();
    }
}
