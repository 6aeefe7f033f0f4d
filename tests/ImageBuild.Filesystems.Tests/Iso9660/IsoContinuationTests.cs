using ImageBuild.Filesystems.Iso9660;
using ImageBuild.Filesystems.Trees;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Iso9660;

/// <summary>Names and link targets too long for a directory record, so Rock Ridge continues them in CE areas.</summary>
[TestClass]
public sealed class IsoContinuationTests
{
    [TestMethod]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void LongNamesLinkTargetsAndDeepDirectoriesRoundTrip()
    {
        using var dir = new TempDir();
        var entries = new List<TreeEntry>();
        for (int i = 0; i < 40; i++)
            entries.Add(IsoTrees.Inline($"{i:D2}-" + new string((char)('a' + i % 26), 240) + "-Ünïcødé", $"file {i}\n", 0x1A4 + (i % 2)));
        string target = string.Join('/', Enumerable.Range(0, 20).Select(i => new string('t', 20 + i)));
        entries.Add(new TreeEntry { Path = "farlink", Kind = TreeEntryKind.Symlink, LinkTarget = "../" + target, Mode = 0x1FF });
        entries.Add(new TreeEntry { Path = "hugecomponent", Kind = TreeEntryKind.Symlink, LinkTarget = new string('c', 255) + "/x", Mode = 0x1FF });
        string deep = "";
        for (int i = 0; i < 12; i++) { deep = deep.Length == 0 ? "lvl0" : deep + "/lvl" + i; entries.Add(IsoTrees.Dir(deep)); }
        entries.Add(IsoTrees.Inline(deep + "/bottom", "bottom\n"));
        var tree = new FileTree(entries);
        var options = new IsoOptions { VolumeLabel = "cidata", TimestampSeconds = IsoTrees.Epoch };

        string iso = dir["ce.iso"];
        using (var f = File.Create(iso)) Assert.AreEqual(IsoWriter.MeasureSize(tree, options), IsoWriter.Write(f, tree, options).Size);

        string outDir = dir["out"];
        ExternalTools.RunOk("osirrox", dir.Path, "-abort_on", "WARNING", "-indev", iso, "-extract", "/", outDir);
        foreach (var e in tree.Entries)
        {
            string p = Path.Combine(outDir, e.Path);
            if (e.Kind == TreeEntryKind.Symlink) Assert.AreEqual(e.LinkTarget, new FileInfo(p).LinkTarget, e.Path);
            else if (e.Kind == TreeEntryKind.Directory) Assert.IsTrue(Directory.Exists(p), e.Path);
            else
            {
                CollectionAssert.AreEqual(e.Content!.Value.ToArray(), File.ReadAllBytes(p), e.Path);
                Assert.AreEqual(e.Mode, (int)File.GetUnixFileMode(p), e.Path);
            }
        }
        string r = ExternalTools.RunOk("isoinfo", dir.Path, "-R", "-l", "-i", iso).StdOut;
        StringAssert.Contains(r, "Directory listing of /" + deep + "/");
        StringAssert.Contains(r, entries[39].Path);
    }
}
