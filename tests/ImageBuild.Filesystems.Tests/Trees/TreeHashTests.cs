using ImageBuild.Filesystems.Trees;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Trees;

[TestClass]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TreeHashTests
{
    private static void Make(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        File.WriteAllText(Path.Combine(root, "etc/hostname"), "box\n");
        File.WriteAllText(Path.Combine(root, "run.sh"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(root, "run.sh"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(root, "link"), "etc/hostname");
    }

    private static string Hash(string root) => TreeHash.Of(TreeScanner.Scan(root, new TreeScanOptions()));

    [TestMethod]
    public void SameContentElsewhereAndTouchedHashesTheSame()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        Make(a.Path);
        Make(b.Path);
        string h = Hash(a.Path);
        StringAssert.StartsWith(h, "sha256:");
        Assert.AreEqual(71, h.Length);
        Assert.AreEqual(h, Hash(b.Path));
        File.SetLastWriteTimeUtc(b["etc/hostname"], new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.SetLastAccessTimeUtc(b["run.sh"], new DateTime(2002, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Directory.SetLastWriteTimeUtc(b["etc"], new DateTime(2003, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.AreEqual(h, Hash(b.Path));
    }

    [TestMethod]
    public void EachKindOfChangeChangesIt()
    {
        using var t = new TempDir();
        Make(t.Path);
        var seen = new HashSet<string> { Hash(t.Path) };
        void Changed(string what)
        {
            Assert.IsTrue(seen.Add(Hash(t.Path)), $"the hash did not change: {what}");
        }

        File.WriteAllText(t["etc/hostname"], "bot\n");
        Changed("content, same size");
        File.SetUnixFileMode(t["run.sh"], (UnixFileMode)0b111_101_000);
        Changed("mode");
        File.Move(t["run.sh"], t["run2.sh"]);
        Changed("name");
        File.Delete(t["link"]);
        File.CreateSymbolicLink(t["link"], "etc/other");
        Changed("link target");
        File.Delete(t["link"]);
        File.WriteAllText(t["link"], "etc/other");
        Changed("kind");
        Directory.CreateDirectory(t["new"]);
        Changed("an empty directory");

        var tree = TreeScanner.Scan(t.Path, new TreeScanOptions());
        string mine = TreeHash.Of(tree);
        var owned = new FileTree(tree.Entries.Select(e => e with { Uid = e.Path == "new" ? 1000 : e.Uid }));
        Assert.AreNotEqual(mine, TreeHash.Of(owned), "uid");
        var grouped = new FileTree(tree.Entries.Select(e => e with { Gid = e.Path == "new" ? 1000 : e.Gid }));
        Assert.AreNotEqual(mine, TreeHash.Of(grouped), "gid");
        Assert.AreNotEqual(TreeHash.Of(owned), TreeHash.Of(grouped), "uid and gid are separate fields");
    }

    [TestMethod]
    public void InlineContentHashesLikeTheSameFileOnDisk()
    {
        using var t = new TempDir();
        File.WriteAllText(t["meta-data"], "instance-id: x\n");
        var scanned = TreeScanner.Scan(t.Path, new TreeScanOptions());
        var inline = new FileTree([scanned.Entries[0] with { SourcePath = null, Content = "instance-id: x\n"u8.ToArray() }]);
        Assert.AreEqual(TreeHash.Of(scanned), TreeHash.Of(inline));
        var other = new FileTree([scanned.Entries[0] with { SourcePath = null, Content = "instance-id: y\n"u8.ToArray() }]);
        Assert.AreNotEqual(TreeHash.Of(scanned), TreeHash.Of(other));
    }
}
