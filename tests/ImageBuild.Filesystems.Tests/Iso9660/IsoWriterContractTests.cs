using System.Security.Cryptography;
using ImageBuild.Filesystems.Iso9660;
using ImageBuild.Filesystems.Trees;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Iso9660;

[TestClass]
public sealed class IsoWriterContractTests
{
    private static IsoOptions Options => new() { VolumeLabel = "cidata", TimestampSeconds = IsoTrees.Epoch };

    [TestMethod]
    public void TwoRunsAreByteIdenticalAndMeasureSizeMatches()
    {
        using var dir = new TempDir();
        var tree = IsoTrees.General(dir["big.src"]);
        var reports = new List<double>();
        using var a = new MemoryStream();
        var result = IsoWriter.Write(a, tree, Options, reports.Add);
        using var b = new MemoryStream();
        IsoWriter.Write(b, IsoTrees.General(dir["big2.src"]), Options);
        CollectionAssert.AreEqual(SHA256.HashData(a.ToArray()), SHA256.HashData(b.ToArray()));
        Assert.AreEqual(a.Length, result.Size);
        Assert.AreEqual(IsoWriter.MeasureSize(tree, Options), a.Length);
        Assert.AreEqual(0, a.Length % 2048);
        Assert.AreEqual(8, result.FileCount);
        Assert.AreEqual(1.0, reports[^1]);
        for (int i = 1; i < reports.Count; i++) Assert.IsTrue(reports[i] >= reports[i - 1]);

        using var c = new MemoryStream();
        IsoWriter.Write(c, tree, Options with { TimestampSeconds = IsoTrees.Epoch + 1 });
        Assert.AreEqual(a.Length, c.Length);
        CollectionAssert.AreNotEqual(a.ToArray(), c.ToArray(), "the dates come from the options");
    }

    [TestMethod]
    public void SeedMeasuresAsWritten()
    {
        foreach (var o in new[] { Options, Options with { Joliet = false }, Options with { RockRidge = false }, Options with { RockRidge = false, Joliet = false } })
        {
            using var s = new MemoryStream();
            var r = IsoWriter.Write(s, IsoTrees.Seed(), o);
            Assert.AreEqual(s.Length, r.Size);
            Assert.AreEqual(IsoWriter.MeasureSize(IsoTrees.Seed(), o), s.Length);
            Assert.AreEqual(3, r.FileCount);
        }
    }

    [TestMethod]
    public void RefusesFilesOf4GiB()
    {
        var tree = new FileTree([new TreeEntry { Path = "d/huge.img", Kind = TreeEntryKind.File, Size = 1L << 32, SourcePath = "/nonexistent/huge" }, IsoTrees.Dir("d")]);
        var e = Assert.ThrowsExactly<IOException>(() => IsoWriter.MeasureSize(tree, Options));
        StringAssert.Contains(e.Message, "'d/huge.img'");
        Assert.IsFalse(e.Message.Contains('\n'));
        using var s = new MemoryStream();
        Assert.ThrowsExactly<IOException>(() => IsoWriter.Write(s, tree, Options));
        Assert.AreEqual(0, s.Length, "refused before writing anything");

        var justFits = new FileTree([new TreeEntry { Path = "max", Kind = TreeEntryKind.File, Size = uint.MaxValue, SourcePath = "/nonexistent/max" }]);
        Assert.IsTrue(IsoWriter.MeasureSize(justFits, Options) > uint.MaxValue);
    }

    [TestMethod]
    public void RefusesNamesRockRidgeCannotHoldAndSymlinksWithoutIt()
    {
        var longName = new FileTree([IsoTrees.Inline(new string('x', 256), "x")]);
        var e = Assert.ThrowsExactly<IOException>(() => IsoWriter.MeasureSize(longName, Options));
        StringAssert.Contains(e.Message, "'" + new string('x', 256) + "'");
        Assert.IsFalse(e.Message.Contains('\n'));

        var link = new FileTree([new TreeEntry { Path = "l", Kind = TreeEntryKind.Symlink, LinkTarget = "t" }]);
        e = Assert.ThrowsExactly<IOException>(() => IsoWriter.MeasureSize(link, Options with { RockRidge = false }));
        StringAssert.Contains(e.Message, "'l'");
        Assert.IsTrue(IsoWriter.MeasureSize(link, Options) > 0);

        Assert.ThrowsExactly<ArgumentException>(() => IsoWriter.MeasureSize(IsoTrees.Seed(), Options with { TimestampSeconds = -2_300_000_000 }));
    }

    [TestMethod]
    public void ContentOfTheWrongLengthFailsAndTheOutputNoLongerLooksLikeAnImage()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["short"], "only this");
        var tree = new FileTree([new TreeEntry { Path = "short", Kind = TreeEntryKind.File, SourcePath = dir["short"], Size = 100 }]);
        string iso = dir["bad.iso"];
        using (var f = File.Create(iso))
        {
            var e = Assert.ThrowsExactly<IOException>(() => IsoWriter.Write(f, tree, Options));
            StringAssert.Contains(e.Message, "'short'");
        }
        var bytes = File.ReadAllBytes(iso);
        Assert.IsTrue(bytes.Length > 16 * 2048);
        Assert.IsTrue(bytes.AsSpan(16 * 2048, 3 * 2048).IndexOfAnyExcept((byte)0) < 0, "descriptors zeroed");
        var blkid = QemuOracle.Run(ExternalTools.Find("blkid"), ["-p", iso], dir.Path);
        Assert.AreNotEqual(0, blkid.ExitCode, blkid.StdOut);
    }

    [TestMethod]
    public void CancellationStopsTheWrite()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        using var s = new MemoryStream();
        Assert.ThrowsExactly<OperationCanceledException>(() => IsoWriter.Write(s, IsoTrees.Seed(), Options, cancellation: cts.Token));
    }
}
