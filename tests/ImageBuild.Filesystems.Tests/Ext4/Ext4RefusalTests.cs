using ImageBuild.Filesystems.Ext4;
using ImageBuild.Filesystems.Trees;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Ext4;

[TestClass]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class Ext4RefusalTests
{
    private const long Size = 16L << 20;
    private static readonly Ext4Options Options = Ext4TestTrees.Options;

    [TestMethod]
    public void TreeLargerThanTheFilesystemIsRefusedAndLeavesNoSuperblock()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["scratch"]);
        string big = tmp["big.bin"];
        using (var f = File.Create(big)) f.SetLength(20L << 20);
        var tree = new FileTree([new TreeEntry { Path = "big.bin", Kind = TreeEntryKind.File, Size = 20L << 20, Mode = 0b110_100_100, SourcePath = big }]);
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, Size);
        var e = Assert.ThrowsExactly<IOException>(() => Ext4Writer.Write(img, 0, Size, tree, Options, tmp["scratch"]));
        StringAssert.Contains(e.Message, $"{20L << 20} bytes");
        StringAssert.Contains(e.Message, $"{Size}-byte");
        Assert.IsFalse(Ext4Oracle.HasSuperblock(img, 0));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(tmp["scratch"]).Length);
    }

    [TestMethod]
    public void TreeThatFitsByBytesButNotWithMetadataIsRefusedByMke2fsAndLeavesNoSuperblock()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["scratch"]);
        // 15 MiB of files in a 16 MiB filesystem: the journal and tables leave no room; mke2fs -d fails.
        var entries = new List<TreeEntry>();
        for (int k = 0; k < 15; k++)
        {
            string src = tmp[$"f{k}"];
            File.WriteAllBytes(src, new byte[1 << 20].Select((_, i) => (byte)(i + k)).ToArray());
            entries.Add(new TreeEntry { Path = $"f{k}", Kind = TreeEntryKind.File, Size = 1 << 20, Mode = 0b110_100_100, SourcePath = src });
        }
        string img = tmp["fs.img"];
        var pattern = Enumerable.Repeat((byte)0x5A, (int)Size + 8192).ToArray();
        File.WriteAllBytes(img, pattern);
        var e = Assert.ThrowsExactly<IOException>(() => Ext4Writer.Write(img, 4096, Size, new FileTree(entries), Options, tmp["scratch"]));
        StringAssert.Contains(e.Message, "does not fit");
        StringAssert.Contains(e.Message, "15 entries");
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
        Assert.IsFalse(Ext4Oracle.HasSuperblock(img, 4096));
        var now = File.ReadAllBytes(img);
        Assert.IsTrue(now.AsSpan(0, 4096).SequenceEqual(pattern.AsSpan(0, 4096)), "bytes before the range");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(tmp["scratch"]).Length);
    }

    [TestMethod]
    public void LabelLongerThan16BytesIsRefused()
    {
        using var tmp = new TempDir();
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, Size);
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            Ext4Writer.Write(img, 0, Size, new FileTree([]), Options with { VolumeLabel = "ééééééééé" }, tmp.Path)); // 18 bytes
        StringAssert.Contains(e.Message, "16 bytes");
    }

    [TestMethod]
    [DataRow(0L)]
    [DataRow(-1L)]
    public void TimestampMke2fsWouldReplaceWithTheClockIsRefused(long seconds)
    {
        using var tmp = new TempDir();
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, Size);
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            Ext4Writer.Write(img, 0, Size, new FileTree([]), Options with { TimestampSeconds = seconds }, tmp.Path));
        StringAssert.Contains(e.Message, "1970");
    }

    [TestMethod]
    [DataRow(512, Size, DisplayName = "block size 512")]
    [DataRow(4096, 4L << 20, DisplayName = "4 MiB: no room for a journal")]
    [DataRow(4096, Size + 1024, DisplayName = "size not a multiple of the block")]
    public void BadGeometryIsRefused(int blockSize, long size)
    {
        using var tmp = new TempDir();
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, 0);
        Assert.ThrowsExactly<ArgumentException>(() => Ext4Writer.Write(img, 0, size, new FileTree([]), Options with { BlockSize = blockSize }, tmp.Path));
        Assert.AreEqual(0L, new FileInfo(img).Length, "nothing written");
    }

    [TestMethod]
    public void CancelledWriteThrowsAndLeavesNoStaging()
    {
        using var tmp = new TempDir();
        var (tree, _) = Ext4TestTrees.MakeSample(tmp["src"]);
        Directory.CreateDirectory(tmp["scratch"]);
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, Size);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => Ext4Writer.Write(img, 0, Size, tree, Options, tmp["scratch"], cts.Token));
        Assert.IsFalse(Ext4Oracle.HasSuperblock(img, 0));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(tmp["scratch"]).Length);
    }
}
