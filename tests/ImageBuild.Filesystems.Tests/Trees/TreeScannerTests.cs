using ImageBuild.Filesystems.Trees;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Trees;

[TestClass]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TreeScannerTests
{
    private static void Make(TempDir t)
    {
        Directory.CreateDirectory(t["etc/ssh"]);
        Directory.CreateDirectory(t["build/obj"]);
        Directory.CreateDirectory(t["empty"]);
        File.WriteAllText(t["etc/hostname"], "box\n");
        File.WriteAllText(t["etc/ssh/sshd_config"], "Port 22\n");
        File.WriteAllText(t["build/obj/a.o"], "obj");
        File.WriteAllText(t["README.md"], "readme");
        File.WriteAllText(t["b.txt"], "b");
        File.CreateSymbolicLink(t["etc/localtime"], "/usr/share/zoneinfo/UTC");
        File.CreateSymbolicLink(t["loop"], "loop");
    }

    private static string[] Paths(FileTree tree) => tree.Entries.Select(e => e.Path).ToArray();

    [TestMethod]
    public void ScansEverythingInOrdinalOrderDirectoriesFirst()
    {
        using var t = new TempDir();
        Make(t);
        var tree = TreeScanner.Scan(t.Path, new TreeScanOptions());
        CollectionAssert.AreEqual(new[]
        {
            "README.md", "b.txt", "build", "build/obj", "build/obj/a.o", "empty", "etc", "etc/hostname",
            "etc/localtime", "etc/ssh", "etc/ssh/sshd_config", "loop",
        }, Paths(tree));
        var hostname = tree.Entries.Single(e => e.Path == "etc/hostname");
        Assert.AreEqual(TreeEntryKind.File, hostname.Kind);
        Assert.AreEqual(4L, hostname.Size);
        Assert.AreEqual(t["etc/hostname"], hostname.SourcePath);
        Assert.IsTrue(tree.Entries.All(e => e.Uid == 0 && e.Gid == 0));
    }

    [TestMethod]
    public void SymlinksAreKeptAsLinksNeverFollowed()
    {
        using var t = new TempDir();
        Make(t);
        Directory.CreateDirectory(t["outside"]);
        File.WriteAllText(t["outside/secret"], "s");
        using var t2 = new TempDir();
        Directory.CreateDirectory(t2["d"]);
        Directory.CreateSymbolicLink(t2["d/up"], t.Path);
        var tree = TreeScanner.Scan(t2.Path, new TreeScanOptions());
        CollectionAssert.AreEqual(new[] { "d", "d/up" }, Paths(tree));
        Assert.AreEqual(TreeEntryKind.Symlink, tree.Entries[1].Kind);
        Assert.AreEqual(t.Path, tree.Entries[1].LinkTarget);

        var own = TreeScanner.Scan(t.Path, new TreeScanOptions());
        var loop = own.Entries.Single(e => e.Path == "loop");
        Assert.AreEqual(TreeEntryKind.Symlink, loop.Kind);
        Assert.AreEqual("loop", loop.LinkTarget);
        Assert.AreEqual("/usr/share/zoneinfo/UTC", own.Entries.Single(e => e.Path == "etc/localtime").LinkTarget);
    }

    [TestMethod]
    public void IncludeGlobsKeepTheDirectoriesAboveAMatch()
    {
        using var t = new TempDir();
        Make(t);
        var tree = TreeScanner.Scan(t.Path, new TreeScanOptions { Include = ["etc/ssh/*_config", "*.md"] });
        CollectionAssert.AreEqual(new[] { "README.md", "etc", "etc/ssh", "etc/ssh/sshd_config" }, Paths(tree));

        var all = TreeScanner.Scan(t.Path, new TreeScanOptions { Include = ["**/*.o", "?.txt", "e[m-n]pty"] });
        CollectionAssert.AreEqual(new[] { "b.txt", "build", "build/obj", "build/obj/a.o", "empty" }, Paths(all));

        var under = TreeScanner.Scan(t.Path, new TreeScanOptions { Include = ["etc"] });
        CollectionAssert.AreEqual(new[] { "etc", "etc/hostname", "etc/localtime", "etc/ssh", "etc/ssh/sshd_config" }, Paths(under));
    }

    [TestMethod]
    public void ExcludeGlobsDropEntriesAndWholeDirectories()
    {
        using var t = new TempDir();
        Make(t);
        var tree = TreeScanner.Scan(t.Path, new TreeScanOptions { Exclude = ["build", "**/ssh/**", "[!e]*.*", "loop"] });
        CollectionAssert.AreEqual(new[] { "empty", "etc", "etc/hostname", "etc/localtime" }, Paths(tree));
    }

    [TestMethod]
    public void GlobsFollowTheirRules()
    {
        Assert.IsTrue(new TreeGlob("**").IsMatch("a/b/c"));
        Assert.IsTrue(new TreeGlob("**/x").IsMatch("x"));
        Assert.IsTrue(new TreeGlob("**/x").IsMatch("a/b/x"));
        Assert.IsFalse(new TreeGlob("**/x").IsMatch("a/bx"));
        Assert.IsTrue(new TreeGlob("a/**/b").IsMatch("a/b"));
        Assert.IsTrue(new TreeGlob("a/**/b").IsMatch("a/1/2/b"));
        Assert.IsFalse(new TreeGlob("a/*").IsMatch("a/b/c"));
        Assert.IsTrue(new TreeGlob("a/*").IsMatch("a/.hidden"));
        Assert.IsFalse(new TreeGlob("?").IsMatch("ab"));
        Assert.IsTrue(new TreeGlob("[^a]").IsMatch("b"));
        Assert.IsFalse(new TreeGlob("[!a]").IsMatch("a"));
        Assert.IsFalse(new TreeGlob("a.b").IsMatch("aXb"));
        Assert.IsFalse(new TreeGlob("A").IsMatch("a"));
        Assert.ThrowsExactly<ArgumentException>(() => new TreeGlob("[abc"));
        Assert.ThrowsExactly<ArgumentException>(() => new TreeGlob("/etc"));
    }

    [TestMethod]
    public void ModesAndOwnersAreRecorded()
    {
        using var t = new TempDir();
        File.WriteAllText(t["run.sh"], "#!/bin/sh\n");
        File.SetUnixFileMode(t["run.sh"], (UnixFileMode)0b111_101_000);
        Directory.CreateDirectory(t["d"]);
        File.SetUnixFileMode(t["d"], (UnixFileMode)0b111_000_000 | UnixFileMode.SetGroup);
        var tree = TreeScanner.Scan(t.Path, new TreeScanOptions());
        Assert.AreEqual(0b010_111_000_000, tree.Entries.Single(e => e.Path == "d").Mode);
        Assert.AreEqual(0b111_101_000, tree.Entries.Single(e => e.Path == "run.sh").Mode);

        var kept = TreeScanner.Scan(t.Path, new TreeScanOptions { Owners = OwnerMapping.Keep });
        string uid = ExternalTools.RunOk("id", t.Path, "-u").StdOut.Trim();
        string gid = ExternalTools.RunOk("stat", t.Path, "-c", "%g", t["run.sh"]).StdOut.Trim();
        Assert.AreEqual(uid, kept.Entries.Single(e => e.Path == "run.sh").Uid.ToString());
        Assert.AreEqual(gid, kept.Entries.Single(e => e.Path == "run.sh").Gid.ToString());
    }

    [TestMethod]
    public void AFifoIsRefusedNamingItsPath()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["d"]);
        Fifo.Make(t["d/pipe"]);
        var e = Assert.ThrowsExactly<IOException>(() => TreeScanner.Scan(t.Path, new TreeScanOptions()));
        StringAssert.Contains(e.Message, t["d/pipe"]);
        StringAssert.Contains(e.Message, "FIFO");
        Assert.IsFalse(e.Message.Contains('\n'));
        // an excluded FIFO is not a problem
        Assert.AreEqual(1, TreeScanner.Scan(t.Path, new TreeScanOptions { Exclude = ["**/pipe"] }).Entries.Count);
    }

    [TestMethod]
    public void HardLinksAreSeparateFiles()
    {
        using var t = new TempDir();
        File.WriteAllText(t["a"], "same");
        ExternalTools.RunOk("ln", t.Path, t["a"], t["b"]);
        var tree = TreeScanner.Scan(t.Path, new TreeScanOptions());
        Assert.AreEqual(2, tree.Entries.Count);
        Assert.IsTrue(tree.Entries.All(e => e.Kind == TreeEntryKind.File && e.Size == 4));
    }
}
