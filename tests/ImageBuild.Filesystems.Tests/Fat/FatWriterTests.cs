using ImageBuild.Filesystems.Fat;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Fat;

[TestClass]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FatWriterTests
{
    private static readonly FatOptions Options = new()
    {
        VolumeLabel = "IMAGEBUILD", VolumeId = 0x1234ABCD, TimestampSeconds = 1_700_000_001, // 2023-11-14 22:13:21 UTC
    };

    [TestMethod]
    [DataRow(2L << 20, FatType.Fat12, 2048, DisplayName = "FAT12, 2 MiB")]
    [DataRow(64L << 20, FatType.Fat16, 2048, DisplayName = "FAT16, 64 MiB")]
    [DataRow(600L << 20, FatType.Fat32, 4096, DisplayName = "FAT32, 600 MiB")]
    public void AutoTypeVolumeIsCleanAndReadsBackEveryFile(long size, FatType expected, int expectedCluster)
    {
        using var tmp = new TempDir();
        var files = FatTestTrees.MakeSample(tmp["src"], 10_000);
        string img = tmp["fat.img"];
        var result = Write(img, 0, size, tmp["src"], Options);

        Assert.AreEqual(expected, result.Type);
        Assert.AreEqual(expectedCluster, result.ClusterSize);
        Assert.AreEqual(size, new FileInfo(img).Length);
        FatOracle.AssertClean(img, tmp.Path);

        string listing = FatOracle.Mdir(img, tmp.Path);
        foreach (string name in new[] { "Long File Name.txt", "long file name.TXT", "Mixed.Txt",
                     "Ünïcödé – naïve résumé.txt", "日本語のファイル名.txt", "a.b.c.d", ".hidden", "empty dir", new string('x', 200) + ".dat" })
            StringAssert.Contains(listing, name);
        StringAssert.Contains(listing, "readme   md "); // 8.3 in lower case: no long entries, DIR_NTRes case bits
        StringAssert.Contains(listing, "README   TXT ");
        StringAssert.Contains(listing, "LONGFI~2 TXT ");
        StringAssert.Contains(listing, "IMAGEBUILD");
        StringAssert.Contains(listing, "1234-ABCD");
        StringAssert.Contains(listing, "2023-11-14");

        string info = FatOracle.Minfo(img, tmp.Path);
        StringAssert.Contains(info, "serial number: 1234ABCD");
        StringAssert.Contains(info, "disk label=\"IMAGEBUILD \"");
        StringAssert.Contains(info, $"cluster size: {expectedCluster / 512} sectors");
        StringAssert.Contains(info, "media descriptor byte: 0xf8");

        FatOracle.AssertContent(img, tmp.Path, tmp["out"], files);
        StringAssert.Matches(ExternalTools.RunOk("mattrib", tmp.Path, "-i", img, "::/ro.txt").StdOut, new System.Text.RegularExpressions.Regex(@"^ *A +R +::/ro\.txt"), "no owner-write bit: ATTR_READ_ONLY");
        StringAssert.Matches(ExternalTools.RunOk("mattrib", tmp.Path, "-i", img, "::/big.bin").StdOut, new System.Text.RegularExpressions.Regex(@"^ *A +::/big\.bin"), "writable: no ATTR_READ_ONLY");
        Assert.IsTrue(Directory.Exists(tmp["out/empty dir"]));
    }

    [TestMethod]
    public void ExplicitTypesAndClusterSizesGiveWhatWasAsked()
    {
        using var tmp = new TempDir();
        var files = FatTestTrees.MakeSample(tmp["src"], 70_000);
        var r = Write(tmp["a.img"], 0, 40L << 20, tmp["src"], Options with { Type = FatType.Fat32, ClusterSize = 512 });
        Assert.AreEqual((FatType.Fat32, 512), (r.Type, r.ClusterSize));
        FatOracle.AssertClean(tmp["a.img"], tmp.Path);
        FatOracle.AssertContent(tmp["a.img"], tmp.Path, tmp["outa"], files);

        r = Write(tmp["b.img"], 0, 12L << 20, tmp["src"], Options with { Type = FatType.Fat12, ClusterSize = 4096, SectorSize = 4096 });
        Assert.AreEqual((FatType.Fat12, 4096), (r.Type, r.ClusterSize));
        FatOracle.AssertClean(tmp["b.img"], tmp.Path);

        Assert.ThrowsExactly<ArgumentException>(() => Write(tmp["c.img"], 0, 2L << 20, tmp["src"], Options with { Type = FatType.Fat32 }));
        Assert.ThrowsExactly<ArgumentException>(() => Write(tmp["c.img"], 0, 2L << 20, tmp["src"], Options with { ClusterSize = 3000 }));
    }

    [TestMethod]
    public void TwoRunsAreByteIdentical()
    {
        using var tmp = new TempDir();
        FatTestTrees.MakeSample(tmp["src"], 50_000);
        Write(tmp["1.img"], 0, 64L << 20, tmp["src"], Options);
        Write(tmp["2.img"], 0, 64L << 20, tmp["src"], Options);
        Assert.AreEqual(FatOracle.Md5(tmp["1.img"]), FatOracle.Md5(tmp["2.img"]));
        Write(tmp["3.img"], 0, 64L << 20, tmp["src"], Options with { VolumeId = 1 });
        Assert.AreNotEqual(FatOracle.Md5(tmp["1.img"]), FatOracle.Md5(tmp["3.img"]), "the serial number is in the output");
    }

    [TestMethod]
    public void VolumeInsideADiskRecordsItsOffsetAndLeavesTheRestAlone()
    {
        using var tmp = new TempDir();
        var files = FatTestTrees.MakeSample(tmp["src"], 20_000);
        string disk = tmp["disk.img"];
        File.WriteAllBytes(disk, Enumerable.Repeat((byte)0x5A, 1 << 20).ToArray());
        Write(disk, 1 << 20, 33L << 20, tmp["src"], Options);
        Assert.AreEqual(34L << 20, new FileInfo(disk).Length);
        Assert.IsTrue(File.ReadAllBytes(disk).AsSpan(0, 1 << 20).IndexOfAnyExcept((byte)0x5A) < 0, "bytes before the offset untouched");
        string part = disk + "@@1M";
        StringAssert.Contains(FatOracle.Minfo(part, tmp.Path), "hidden sectors: 2048");
        FatOracle.AssertContent(part, tmp.Path, tmp["out"], files);
    }

    [TestMethod]
    [DataRow(FatType.Fat12, 1L << 20)]
    [DataRow(FatType.Fat16, 32L << 20)]
    [DataRow(FatType.Fat32, 40L << 20)]
    public void EmptyTreeWithDefaultOptionsIsCleanAndDatedAt1980(FatType type, long size)
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["empty"]);
        var options = new FatOptions { Type = type, ClusterSize = type == FatType.Fat32 ? 512 : null };
        var r = Write(tmp["e.img"], 0, size, tmp["empty"], options);
        Assert.AreEqual(type, r.Type);
        Assert.AreEqual(type == FatType.Fat32 ? 512L : 0L, r.UsedBytes, "only FAT32's root takes a cluster");
        FatOracle.AssertClean(tmp["e.img"], tmp.Path);
        string info = FatOracle.Minfo(tmp["e.img"], tmp.Path);
        StringAssert.Contains(info, "disk label=\"NO NAME    \"");
        StringAssert.Contains(info, "serial number: 00000000");

        // SOURCE_DATE_EPOCH 0 (1970) is before FAT's epoch: written as 1980-01-01 00:00
        File.WriteAllText(tmp["empty/f"], "x");
        Write(tmp["f.img"], 0, size, tmp["empty"], options);
        StringAssert.Contains(FatOracle.Mdir(tmp["f.img"], tmp.Path), "1980-01-01   0:00");
    }

    internal static FatResult Write(string image, long offset, long size, string source, FatOptions options,
        Action<double>? progress = null, CancellationToken cancellation = default)
    {
        using var fs = new FileStream(image, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        return FatWriter.Write(fs, offset, size, FatTestTrees.Walk(source), options, progress, cancellation);
    }
}
