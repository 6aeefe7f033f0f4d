using ImageBuild.Packaging.Tar;

namespace ImageBuild.Packaging.Tests.Tar;

/// <summary>
/// Sparse members against GNU tar 1.34: the whole archive is compared with <c>tar --format=oldgnu -S</c>'s (raw
/// hole detection where the file has zero blocks that are not holes, so GNU tar too decides by the bytes), and
/// <c>tar -xSf</c> gives the file back.
/// </summary>
[TestClass]
public sealed class TarSparseMemberTests
{
    private const int K4 = 4096;

    [TestMethod]
    public void HolesAndZeroBlocksMatchGnuTarRawDetectionByteForByte()
    {
        using var s = new TarScratch();
        string path = FragmentedFile(s, "disk.raw", endsWithData: false);
        s.GnuTarCreate("oldgnu", "gnu.tar", "-S", "--hole-detection=raw", "disk.raw");

        byte[] ours = WriteSparse(s, "disk.raw", path);
        CollectionAssert.AreEqual(File.ReadAllBytes(s.PathOf("gnu.tar")), ours);
        Assert.IsTrue(ours.Length < 200_000, $"only the data is stored ({ours.Length} bytes for a {new FileInfo(path).Length}-byte file)");
    }

    [TestMethod]
    public void AFileEndingInDataHasNoEmptyLastEntry()
    {
        using var s = new TarScratch();
        string path = FragmentedFile(s, "disk.raw", endsWithData: true);
        s.GnuTarCreate("oldgnu", "gnu.tar", "-S", "--hole-detection=raw", "disk.raw");
        CollectionAssert.AreEqual(File.ReadAllBytes(s.PathOf("gnu.tar")), WriteSparse(s, "disk.raw", path));
    }

    [TestMethod]
    public void GnuTarExtractsTheSameBytesAsASparseFile()
    {
        using var s = new TarScratch();
        string path = FragmentedFile(s, "disk.raw", endsWithData: false);
        File.WriteAllBytes(s.PathOf("x.tar"), WriteSparse(s, "disk.raw", path));
        Directory.CreateDirectory(s.PathOf("out"));
        s.Tar("-xSpf", "x.tar", "-C", "out");
        string extracted = s.PathOf("out/disk.raw");
        TarScratch.AssertSameFile(path, extracted);
        Assert.AreEqual(DateTimeOffset.FromUnixTimeSeconds(TarScratch.Mtime).UtcDateTime, File.GetLastWriteTimeUtc(extracted));
        StringAssert.Contains(s.Tar("--utc", "--full-time", "--numeric-owner", "-tvf", "x.tar"),
            $"-rw-r--r-- 0/0         {new FileInfo(path).Length} 2023-11-14 22:13:20 disk.raw");
    }

    [TestMethod]
    public void TheMapDependsOnTheBytesNotOnWhereTheHolesAre()
    {
        using var s = new TarScratch();
        string sparse = FragmentedFile(s, "sparse.raw", endsWithData: false);
        string dense = s.PathOf("dense.raw");
        File.Copy(sparse, dense); // File.Copy writes every zero: no holes
        CollectionAssert.AreEqual(WriteSparse(s, "disk.raw", sparse), WriteSparse(s, "disk.raw", dense));
    }

    [TestMethod]
    public void OffsetsAndSizesFrom8GiBAreBase256AsGnuTarWritesThem()
    {
        using var s = new TarScratch();
        long length = 9L << 30;
        string path = s.SparseFile("big.raw", length,
            (5 * K4, TarScratch.NonZero(K4, 3)), ((17L << 30) / 2, TarScratch.NonZero(2 * K4, 4)), (length - 3 * K4, TarScratch.NonZero(K4, 5)));
        // Every zero here is a hole and the file ends in one, so GNU tar's default (SEEK_DATA) detection gives the map
        // its raw detection would (which would read 9 GiB). (Ending in data, the SEEK_DATA map has an extra empty
        // last entry that raw detection and this writer leave out; both read back the same.)
        s.GnuTarCreate("oldgnu", "gnu.tar", "-S", "big.raw");
        CollectionAssert.AreEqual(File.ReadAllBytes(s.PathOf("gnu.tar")), WriteSparse(s, "big.raw", path));
    }

    [TestMethod]
    public void AnAllZeroFileIsOneEmptyEntryAtItsEnd()
    {
        using var s = new TarScratch();
        string path = s.SparseFile("zero.raw", 1 << 20);
        byte[] ours = WriteSparse(s, "zero.raw", path);
        Assert.AreEqual(DeterministicTarWriter.RecordSize, ours.Length, "a header and the end of the archive");
        File.WriteAllBytes(s.PathOf("x.tar"), ours);
        Directory.CreateDirectory(s.PathOf("out"));
        s.Tar("-xSf", "x.tar", "-C", "out");
        TarScratch.AssertSameFile(path, s.PathOf("out/zero.raw"));
    }

    [TestMethod]
    public void ProgressCountsTheStoredBytesAndTwoRunsAreIdentical()
    {
        using var s = new TarScratch();
        string path = FragmentedFile(s, "disk.raw", endsWithData: false);
        var progress = new List<long>();
        var first = new MemoryStream();
        using (var w = new DeterministicTarWriter(first, TarFormat.Gnu, TarScratch.Mtime, leaveOpen: true))
            w.AddSparseFile("disk.raw", path, progress: progress.Add);
        Assert.AreEqual(Stored, progress[^1]);
        CollectionAssert.AreEqual(first.ToArray(), WriteSparse(s, "disk.raw", path));
    }

    [TestMethod]
    public void AMissingFileIsRefusedBeforeAnythingIsWritten()
    {
        var output = new MemoryStream();
        using var w = new DeterministicTarWriter(output, TarFormat.Gnu, 0, leaveOpen: true);
        var e = Assert.ThrowsExactly<ImageBuild.Engine.ImageException>(() => w.AddSparseFile("disk.raw", "/nonexistent/disk.raw"));
        Assert.AreEqual("Could not open '/nonexistent/disk.raw': No such file or directory", e.Message);
        Assert.AreEqual(0L, output.Length);
    }

    /// <summary>The data bytes of <see cref="FragmentedFile"/>: 30 runs of one block, one run of three.</summary>
    private const long Stored = 30 * K4 + 3 * K4;

    /// <summary>
    /// 1 MiB + 4 KiB with 31 data runs (so the map needs the header's 4 entries and two extension blocks), blocks of
    /// written zeros between some of them, and a hole or data at the end.
    /// </summary>
    private static string FragmentedFile(TarScratch s, string name, bool endsWithData)
    {
        long length = (1 << 20) + K4;
        var pieces = new List<(long, byte[])>();
        for (int i = 0; i < 30; i++) pieces.Add((i * 8L * K4, TarScratch.NonZero(K4, 10 + i)));
        pieces.Add((2 * K4, new byte[2 * K4]));     // written zeros: not a hole, not stored
        pieces.Add((201 * K4, new byte[K4]));
        pieces.Add((endsWithData ? length - 3 * K4 : 245 * K4, TarScratch.NonZero(3 * K4, 99)));
        return s.SparseFile(name, length, [.. pieces]);
    }

    private static byte[] WriteSparse(TarScratch s, string name, string path)
    {
        var output = new MemoryStream();
        using (var w = new DeterministicTarWriter(output, TarFormat.Gnu, TarScratch.Mtime, leaveOpen: true))
            w.AddSparseFile(name, path);
        Assert.IsTrue(Directory.Exists(s.Dir));
        return output.ToArray();
    }
}
