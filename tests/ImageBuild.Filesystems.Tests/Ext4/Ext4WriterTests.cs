using ImageBuild.Filesystems.Ext4;
using ImageBuild.Filesystems.Trees;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Ext4;

[TestClass]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class Ext4WriterTests
{
    private const long Size = 64L << 20;
    private static readonly Ext4Options Options = Ext4TestTrees.Options;

    [TestMethod]
    public void SampleTreeIsCleanAndReadsBackWithTheTreesMetadata()
    {
        using var tmp = new TempDir();
        var (tree, files) = Ext4TestTrees.MakeSample(tmp["src"]);
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, Size);
        Directory.CreateDirectory(tmp["scratch"]);

        var result = Ext4Writer.Write(img, 0, Size, tree, Options, tmp["scratch"]);

        Assert.AreEqual(4096, result.BlockSize);
        Assert.AreEqual(Size / 4096, result.BlockCount);
        Assert.IsTrue(result.UsedBlocks > (5 << 20) / 4096 && result.UsedBlocks < result.BlockCount, $"used blocks {result.UsedBlocks}");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(tmp["scratch"]).Length, "the scratch directory is left as it was");
        Ext4Oracle.AssertClean(img);

        string stats = Ext4Oracle.Debugfs(img, "stats");
        StringAssert.Contains(stats, "Filesystem volume name:   imagebuild-root");
        StringAssert.Contains(stats, "Filesystem UUID:          0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        StringAssert.Contains(stats, "Directory Hash Seed:      11223344-5566-7788-99aa-bbccddeeff00");
        StringAssert.Contains(stats, "has_journal");
        StringAssert.Contains(stats, "metadata_csum");

        foreach (var entry in tree.Entries)
        {
            var st = Ext4Oracle.StatOf(img, "/" + entry.Path);
            Assert.AreEqual(entry.Mode, st.Mode & 0xFFF, $"mode of {entry.Path}");
            Assert.AreEqual((long)entry.Uid, st.Uid, $"uid of {entry.Path}");
            Assert.AreEqual((long)entry.Gid, st.Gid, $"gid of {entry.Path}");
            Assert.AreEqual(entry.Kind switch { TreeEntryKind.Directory => "directory", TreeEntryKind.File => "regular", _ => "symlink" }, st.Type, entry.Path);
            if (entry.Kind == TreeEntryKind.File)
            {
                Assert.AreEqual(entry.Size, st.Size, $"size of {entry.Path}");
                Assert.AreEqual(1, st.Links, $"links of {entry.Path}");
            }
            AssertTimes(st, entry.Path);
        }
        foreach (var special in new[] { "/", "/lost+found" })
        {
            var st = Ext4Oracle.StatOf(img, special);
            Assert.AreEqual("directory", st.Type);
            Assert.AreEqual((0L, 0L), (st.Uid, st.Gid), $"owner of {special}");
            AssertTimes(st, special);
        }
        Assert.AreEqual(0b111_101_101, Ext4Oracle.StatOf(img, "/").Mode & 0xFFF, "root directory mode");
        foreach (var reserved in new[] { "<7>", "<8>" }) AssertTimes(Ext4Oracle.StatOf(img, reserved), reserved);

        string outDir = tmp["out"];
        Ext4Oracle.RdumpRoot(img, outDir);
        var dumped = Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories)
            .Where(p => !new FileInfo(p).Attributes.HasFlag(FileAttributes.ReparsePoint))
            .Select(p => Path.GetRelativePath(outDir, p)).Order(StringComparer.Ordinal).ToList();
        CollectionAssert.AreEqual(files.Keys.Order(StringComparer.Ordinal).ToList(), dumped, "files read back: " + string.Join(", ", dumped));
        foreach (var (rel, content) in files)
            CollectionAssert.AreEqual(content, File.ReadAllBytes(Path.Combine(outDir, rel)), $"content of {rel}");
        Assert.AreEqual("dash", new FileInfo(Path.Combine(outDir, "usr/bin/sh")).LinkTarget);
        Assert.AreEqual(Ext4TestTrees.LongTarget, new FileInfo(Path.Combine(outDir, "usr/share/far")).LinkTarget);
        Assert.IsTrue(Directory.Exists(Path.Combine(outDir, "empty-dir")));
        string listing = Ext4Oracle.Debugfs(img, "ls -l /usr/share");
        StringAssert.Contains(listing, Ext4TestTrees.LongName);
        // debugfs shows the bytes of a non-ASCII name as \xNN: the name is stored as its UTF-8 bytes
        StringAssert.Contains(listing, string.Concat(System.Text.Encoding.UTF8.GetBytes(Ext4TestTrees.Utf8Name).Select(b => b < 0x80 ? ((char)b).ToString() : $"\\x{b:x2}")));
    }

    [TestMethod]
    [DataRow(1024)]
    [DataRow(2048)]
    public void SmallerBlocksAreClean(int blockSize)
    {
        using var tmp = new TempDir();
        var (tree, _) = Ext4TestTrees.MakeSample(tmp["src"]);
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, 0);
        Directory.CreateDirectory(tmp["scratch"]);
        var r = Ext4Writer.Write(img, 0, 32L << 20, tree, Options with { BlockSize = blockSize }, tmp["scratch"]);
        Assert.AreEqual((blockSize, (32L << 20) / blockSize), (r.BlockSize, r.BlockCount));
        Assert.AreEqual(32L << 20, new FileInfo(img).Length, "the file is extended to offset+size");
        Ext4Oracle.AssertClean(img);
        Assert.AreEqual(0b100_111_101_101, Ext4Oracle.StatOf(img, "/usr/bin/su").Mode & 0xFFF);
    }

    [TestMethod]
    public void EmptyTreeIsClean()
    {
        using var tmp = new TempDir();
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, Size);
        Directory.CreateDirectory(tmp["scratch"]);
        var r = Ext4Writer.Write(img, 0, Size, new FileTree([]), Options, tmp["scratch"]);
        Ext4Oracle.AssertClean(img);
        Assert.IsTrue(r.UsedBlocks > 0);
        string ls = Ext4Oracle.Debugfs(img, "ls /");
        StringAssert.Contains(ls, "lost+found");
        AssertTimes(Ext4Oracle.StatOf(img, "/"), "/");
    }

    [TestMethod]
    public void SameTreeGivesTheSameBytesWhateverTheSourceTimesAndTheOffset()
    {
        using var tmp = new TempDir();
        var (tree, _) = Ext4TestTrees.MakeSample(tmp["src"]);
        Directory.CreateDirectory(tmp["scratch"]);
        string a = tmp["a.img"], b = tmp["b.img"];
        Ext4TestTrees.MakeTarget(a, Size);
        Ext4TestTrees.MakeTarget(b, Size + (3L << 20));
        Ext4Writer.Write(a, 0, Size, tree, Options, tmp["scratch"]);
        foreach (var e in tree.Entries.Where(e => e.SourcePath is not null))
            File.SetLastWriteTimeUtc(e.SourcePath!, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        Ext4Writer.Write(b, 1L << 20, Size, tree, Options, tmp["scratch"]);

        using var fa = File.OpenRead(a);
        using var fb = File.OpenRead(b);
        fb.Position = 1L << 20;
        var ba = new byte[1 << 20];
        var bb = new byte[1 << 20];
        for (long at = 0; at < Size; at += ba.Length)
        {
            fa.ReadExactly(ba);
            fb.ReadExactly(bb);
            Assert.IsTrue(ba.AsSpan().SequenceEqual(bb), $"the two filesystems differ in the MiB at {at}");
        }
    }

    [TestMethod]
    public void WritesInPlaceLeavingTheRestOfTheFileAlone()
    {
        using var tmp = new TempDir();
        var (tree, files) = Ext4TestTrees.MakeSample(tmp["src"]);
        Directory.CreateDirectory(tmp["scratch"]);
        string disk = tmp["disk.img"];
        long offset = 1L << 20, after = 2L << 20;
        var pattern = new byte[offset + Size + after];
        for (int k = 0; k < pattern.Length; k++) pattern[k] = (byte)(k * 7 + 3);
        File.WriteAllBytes(disk, pattern);

        Ext4Writer.Write(disk, offset, Size, tree, Options, tmp["scratch"]);

        var now = File.ReadAllBytes(disk);
        Assert.AreEqual(pattern.Length, now.Length);
        Assert.IsTrue(now.AsSpan(0, (int)offset).SequenceEqual(pattern.AsSpan(0, (int)offset)), "bytes before the range");
        Assert.IsTrue(now.AsSpan((int)(offset + Size)).SequenceEqual(pattern.AsSpan((int)(offset + Size))), "bytes after the range");
        Ext4Oracle.AssertClean($"{disk}?offset={offset}");
        string part = tmp["part.img"];
        File.WriteAllBytes(part, now.AsSpan((int)offset, (int)Size).ToArray());
        Ext4Oracle.AssertClean(part);
        Assert.AreEqual(files["usr/share/big.bin"].Length, Ext4Oracle.StatOf(part, "/usr/share/big.bin").Size);
    }

    [TestMethod]
    public void SourceFilesKeepTheirOwnMetadata()
    {
        using var tmp = new TempDir();
        var (tree, _) = Ext4TestTrees.MakeSample(tmp["src"]);
        Directory.CreateDirectory(tmp["scratch"]);
        var when = new DateTime(2010, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var sources = tree.Entries.Where(e => e.SourcePath is not null).Select(e => e.SourcePath!).ToList();
        foreach (var s in sources)
        {
            File.SetUnixFileMode(s, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            File.SetLastWriteTimeUtc(s, when);
        }
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, Size);
        Ext4Writer.Write(img, 0, Size, tree, Options, tmp["scratch"]);
        foreach (var s in sources)
        {
            Assert.AreEqual(when, File.GetLastWriteTimeUtc(s), $"mtime of {s}");
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(s), $"mode of {s}");
        }
        // the tree's modes, not the sources' 0640, are in the filesystem
        Assert.AreEqual(0b110_100_100, Ext4Oracle.StatOf(img, "/etc/hostname").Mode & 0xFFF);
    }

    [TestMethod]
    public void TreeFilesSharingASourceAreSeparateInodes()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["scratch"]);
        string source = tmp["shared.txt"], other = tmp["hardlink.txt"];
        File.WriteAllText(source, "shared");
        Assert.AreEqual(0, Link(source, other));
        var tree = new FileTree([
            new TreeEntry { Path = "a", Kind = TreeEntryKind.File, Size = 6, Mode = 0b110_100_100, SourcePath = source },
            new TreeEntry { Path = "b", Kind = TreeEntryKind.File, Size = 6, Mode = 0b111_101_101, Uid = 5, SourcePath = source },
            new TreeEntry { Path = "c", Kind = TreeEntryKind.File, Size = 6, Mode = 0b110_000_000, SourcePath = other },
        ]);
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, Size);
        Ext4Writer.Write(img, 0, Size, tree, Options, tmp["scratch"]);
        Ext4Oracle.AssertClean(img);
        var stats = new[] { "/a", "/b", "/c" }.Select(p => Ext4Oracle.StatOf(img, p)).ToList();
        Assert.AreEqual(3, stats.Select(s => s.Inode).Distinct().Count(), "three inodes");
        Assert.IsTrue(stats.All(s => s.Links == 1), "no hard links");
        CollectionAssert.AreEqual(new[] { 0b110_100_100, 0b111_101_101, 0b110_000_000 }, stats.Select(s => s.Mode & 0xFFF).ToArray());
        Assert.AreEqual(5L, stats[1].Uid);
    }

    [TestMethod]
    public void LostAndFoundInTheTreeTakesTheTreesMetadata()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["scratch"]);
        var tree = new FileTree([
            new TreeEntry { Path = "lost+found", Kind = TreeEntryKind.Directory, Mode = 0b111_000_000 },
            new TreeEntry { Path = "lost+found/kept", Kind = TreeEntryKind.File, Size = 1, Mode = 0b110_100_100, Content = "k"u8.ToArray() },
        ]);
        string img = tmp["fs.img"];
        Ext4TestTrees.MakeTarget(img, Size);
        Ext4Writer.Write(img, 0, Size, tree, Options, tmp["scratch"]);
        Ext4Oracle.AssertClean(img);
        Assert.AreEqual(1L, Ext4Oracle.StatOf(img, "/lost+found/kept").Size);
    }

    private static void AssertTimes(Ext4Oracle.Stat st, string path)
    {
        foreach (var name in new[] { "atime", "ctime", "mtime", "crtime" })
        {
            Assert.IsTrue(st.Times.TryGetValue(name, out var t), $"{path} shows no {name}");
            Assert.AreEqual((Options.TimestampSeconds, 0u), t, $"{name} of {path}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string newPath);
}
