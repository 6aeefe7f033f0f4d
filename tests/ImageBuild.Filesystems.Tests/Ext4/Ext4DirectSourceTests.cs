using ImageBuild.Filesystems.Ext4;
using ImageBuild.Filesystems.Trees;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Ext4;

/// <summary>
/// A tree scanned from one host directory goes to mke2fs -d without staging; when the directory holds more or other
/// than the tree (an excluded file, files hard-linked together) the writer formats again from staging. Either way the
/// filesystem is exactly the tree, and the same bytes as a staged write.
/// </summary>
[TestClass]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class Ext4DirectSourceTests
{
    private const long Size = 32L << 20;
    private static readonly Ext4Options Options = Ext4TestTrees.Options;

    private static string MakeSource(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "etc/conf.d"));
        Directory.CreateDirectory(Path.Combine(dir, "var/empty"));
        File.WriteAllText(Path.Combine(dir, "etc/hostname"), "host\n");
        File.WriteAllText(Path.Combine(dir, "etc/conf.d/a.conf"), "a=1\n");
        File.WriteAllText(Path.Combine(dir, ".hidden"), "dot\n");
        File.WriteAllBytes(Path.Combine(dir, "var/data.bin"), Enumerable.Range(0, 300_000).Select(i => (byte)(i * 31)).ToArray());
        File.CreateSymbolicLink(Path.Combine(dir, "etc/link"), "hostname");
        File.SetUnixFileMode(Path.Combine(dir, "etc/conf.d/a.conf"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return dir;
    }

    /// <summary>The same tree with every file's source moved to copies elsewhere, which only staging can serve.</summary>
    private static FileTree Relocated(FileTree tree, string copies)
    {
        Directory.CreateDirectory(copies);
        int n = 0;
        return new FileTree(tree.Entries.Select(e =>
        {
            if (e.SourcePath is null) return e;
            string copy = Path.Combine(copies, $"copy-{n++}");
            File.Copy(e.SourcePath, copy);
            return e with { SourcePath = copy };
        }));
    }

    [TestMethod]
    public void ScannedDirectoryGivesTheSameBytesAsAStagedWrite()
    {
        using var tmp = new TempDir();
        var tree = TreeScanner.Scan(MakeSource(tmp["src"]), new TreeScanOptions());
        Directory.CreateDirectory(tmp["scratch"]);
        Ext4TestTrees.MakeTarget(tmp["direct.img"], Size);
        Ext4TestTrees.MakeTarget(tmp["staged.img"], Size);
        Ext4Writer.Write(tmp["direct.img"], 0, Size, tree, Options, tmp["scratch"]);
        Ext4Writer.Write(tmp["staged.img"], 0, Size, Relocated(tree, tmp["copies"]), Options, tmp["scratch"]);

        Ext4Oracle.AssertClean(tmp["direct.img"]);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["staged.img"]), File.ReadAllBytes(tmp["direct.img"]), "direct and staged filesystems differ");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(tmp["scratch"]).Length);
        Assert.AreEqual(0b110_000_000, Ext4Oracle.StatOf(tmp["direct.img"], "/etc/conf.d/a.conf").Mode & 0xFFF);
        Assert.AreEqual("symlink", Ext4Oracle.StatOf(tmp["direct.img"], "/etc/link").Type);
        Assert.AreEqual(300_000L, Ext4Oracle.StatOf(tmp["direct.img"], "/var/data.bin").Size);
    }

    [TestMethod]
    public void ExcludedFileIsNotInTheFilesystem()
    {
        using var tmp = new TempDir();
        var tree = TreeScanner.Scan(MakeSource(tmp["src"]), new TreeScanOptions { Exclude = ["var/data.bin"] });
        Assert.IsFalse(tree.Entries.Any(e => e.Path == "var/data.bin"));
        Directory.CreateDirectory(tmp["scratch"]);
        Ext4TestTrees.MakeTarget(tmp["fs.img"], Size);
        Ext4Writer.Write(tmp["fs.img"], 0, Size, tree, Options, tmp["scratch"]);
        Ext4Oracle.AssertClean(tmp["fs.img"]);
        string ls = Ext4Oracle.Debugfs(tmp["fs.img"], "ls -l /var");
        Assert.IsFalse(ls.Contains("data.bin"), ls);
        StringAssert.Contains(ls, "empty");
    }

    [TestMethod]
    public void FilesHardLinkedInTheSourceBecomeSeparateInodes()
    {
        using var tmp = new TempDir();
        string src = MakeSource(tmp["src"]);
        File.Delete(Path.Combine(src, "etc/conf.d/a.conf"));
        Assert.AreEqual(0, Link(Path.Combine(src, "etc/hostname"), Path.Combine(src, "etc/conf.d/a.conf")));
        var tree = TreeScanner.Scan(src, new TreeScanOptions());
        Directory.CreateDirectory(tmp["scratch"]);
        Ext4TestTrees.MakeTarget(tmp["fs.img"], Size);
        Ext4Writer.Write(tmp["fs.img"], 0, Size, tree, Options, tmp["scratch"]);
        Ext4Oracle.AssertClean(tmp["fs.img"]);
        var a = Ext4Oracle.StatOf(tmp["fs.img"], "/etc/conf.d/a.conf");
        var h = Ext4Oracle.StatOf(tmp["fs.img"], "/etc/hostname");
        Assert.AreNotEqual(a.Inode, h.Inode);
        Assert.AreEqual((1, 1), (a.Links, h.Links));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(tmp["scratch"]).Length);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string newPath);
}
