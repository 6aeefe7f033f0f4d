using ImageBuild.Filesystems.Fat;
using ImageBuild.Filesystems.Trees;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Fat;

/// <summary>What FAT cannot hold is refused naming the path, before anything is written; a failure halfway leaves no valid volume.</summary>
[TestClass]
public sealed class FatRefusalTests
{
    private static readonly FatOptions Options = new() { VolumeId = 7, TimestampSeconds = 1_600_000_000 };

    private static TreeEntry Dir(string path) => new() { Path = path, Kind = TreeEntryKind.Directory, Mode = 0755 };
    private static TreeEntry Inline(string path, int size) =>
        new() { Path = path, Kind = TreeEntryKind.File, Mode = 0644, Size = size, Content = new byte[size] };

    /// <summary>Runs the writer into a new empty file and returns the exception, which must name <paramref name="path"/>.</summary>
    private static T Refused<T>(TempDir tmp, long size, IEnumerable<TreeEntry> entries, string path, FatOptions? options = null) where T : Exception
    {
        string img = tmp["refused.img"];
        File.Delete(img);
        var ex = Assert.ThrowsExactly<T>(() =>
        {
            using var fs = new FileStream(img, FileMode.CreateNew, FileAccess.ReadWrite);
            FatWriter.Write(fs, 0, size, new FileTree(entries), options ?? Options);
        });
        StringAssert.Contains(ex.Message, path);
        Assert.IsFalse(ex.Message.Contains('\n'), "one-line message");
        Assert.AreEqual(0L, new FileInfo(img).Length, "nothing written");
        return ex;
    }

    [TestMethod]
    public void SymlinkIsRefused()
    {
        using var tmp = new TempDir();
        Refused<IOException>(tmp, 2 << 20, [Dir("boot"), new TreeEntry { Path = "boot/vmlinuz", Kind = TreeEntryKind.Symlink, LinkTarget = "vmlinuz-6.1" }], "boot/vmlinuz");
    }

    [TestMethod]
    [DataRow("a:b")]
    [DataRow("what?")]
    [DataRow("pipe|d")]
    [DataRow("quote\"d")]
    [DataRow("back\\slash")]
    [DataRow("star*")]
    [DataRow("less<more>")]
    [DataRow("tab\tname")]
    [DataRow("trailing.")]
    [DataRow("trailing ")]
    public void NameFatCannotHoldIsRefused(string name)
    {
        using var tmp = new TempDir();
        Refused<IOException>(tmp, 2 << 20, [Dir("d"), Inline("d/" + name, 1)], "d/" + name);
    }

    [TestMethod]
    public void NameOf256UnitsIsRefusedAnd255IsKept()
    {
        using var tmp = new TempDir();
        Refused<IOException>(tmp, 2 << 20, [Inline(new string('n', 256), 1)], new string('n', 256));
        string img = tmp["ok.img"];
        using (var fs = new FileStream(img, FileMode.CreateNew, FileAccess.ReadWrite))
            FatWriter.Write(fs, 0, 2 << 20, new FileTree([Inline(new string('n', 255), 1)]), Options);
        FatOracle.AssertClean(img, tmp.Path);
        StringAssert.Contains(FatOracle.Mdir(img, tmp.Path), new string('n', 255));
    }

    [TestMethod]
    public void TreeLargerThanTheVolumeNamesTheFirstFileThatDoesNotFit()
    {
        using var tmp = new TempDir();
        var ex = Refused<IOException>(tmp, 2 << 20, [Inline("a.bin", 1 << 20), Inline("b.bin", 1 << 20), Inline("c.bin", 1 << 20)], "'b.bin'");
        StringAssert.Contains(ex.Message, "does not fit");
    }

    [TestMethod]
    public void FullFat16RootNamesTheFirstEntryBeyondIt()
    {
        using var tmp = new TempDir();
        // 511 short names fill the 512 slots with the label; the 512th file is one too many
        var entries = Enumerable.Range(0, 600).Select(i => Inline($"F{i:D4}.TXT", 0)).ToList();
        Refused<IOException>(tmp, 64 << 20, entries, "F0511.TXT", Options with { VolumeLabel = "FULL" });
    }

    [TestMethod]
    [DataRow("lower")]
    [DataRow("TWELVE CHARS")]
    [DataRow(" LEADING")]
    [DataRow("A:B")]
    [DataRow("")]
    public void LabelOutsideFatsSetIsRefused(string label)
    {
        using var tmp = new TempDir();
        Refused<ArgumentException>(tmp, 2 << 20, [Inline("a", 1)], $"'{label}'", Options with { VolumeLabel = label });
    }

    [TestMethod]
    public void FileThatShrankMidwayLeavesNoValidVolume()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["small"], new byte[1000]);
        var liar = new TreeEntry { Path = "liar.bin", Kind = TreeEntryKind.File, Mode = 0644, Size = 50_000, SourcePath = tmp["small"] };
        string img = tmp["half.img"];
        var ex = Assert.ThrowsExactly<IOException>(() =>
        {
            using var fs = new FileStream(img, FileMode.CreateNew, FileAccess.ReadWrite);
            FatWriter.Write(fs, 0, 64 << 20, new FileTree([Inline("a.txt", 10), liar]), Options);
        });
        StringAssert.Contains(ex.Message, "liar.bin");
        Assert.IsFalse(FatOracle.FsckAccepts(img, tmp.Path), "fsck.vfat must reject the partial output");
        Assert.AreNotEqual(0, QemuOracle.Run(ExternalTools.Find("mdir"), ["-i", img, "::"], tmp.Path).ExitCode, "mtools must not read it");
    }

    [TestMethod]
    public void CancellationHalfwayLeavesNoValidVolumeAndProgressRises()
    {
        using var tmp = new TempDir();
        var entries = Enumerable.Range(0, 8).Select(i => Inline($"f{i}.bin", 1 << 20)).ToList();
        string img = tmp["cancelled.img"];
        using var cts = new CancellationTokenSource();
        var seen = new List<double>();
        Assert.ThrowsExactly<OperationCanceledException>(() =>
        {
            using var fs = new FileStream(img, FileMode.CreateNew, FileAccess.ReadWrite);
            FatWriter.Write(fs, 0, 64 << 20, new FileTree(entries), Options, p => { seen.Add(p); if (p > 0.5) cts.Cancel(); }, cts.Token);
        });
        Assert.IsFalse(FatOracle.FsckAccepts(img, tmp.Path), "fsck.vfat must reject the partial output");

        seen.Clear();
        string ok = tmp["complete.img"];
        using (var fs = new FileStream(ok, FileMode.CreateNew, FileAccess.ReadWrite))
            FatWriter.Write(fs, 0, 64 << 20, new FileTree(entries), Options, seen.Add);
        CollectionAssert.AreEqual(seen.Order().ToList(), seen, "progress never goes back");
        Assert.AreEqual(1.0, seen[^1]);
        FatOracle.AssertClean(ok, tmp.Path);
    }
}
