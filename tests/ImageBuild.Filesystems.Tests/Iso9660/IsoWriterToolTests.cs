using ImageBuild.Filesystems.Iso9660;
using ImageBuild.Filesystems.Trees;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Iso9660;

[TestClass]
public sealed class IsoWriterToolTests
{
    private static IsoOptions Seed => new() { VolumeLabel = "cidata", TimestampSeconds = IsoTrees.Epoch };

    private static string WriteImage(TempDir dir, FileTree tree, IsoOptions options, string name = "out.iso")
    {
        string path = dir[name];
        using (var f = File.Create(path)) IsoWriter.Write(f, tree, options);
        return path;
    }

    [TestMethod]
    public void SeedHasLabelRockRidgeAndJoliet()
    {
        using var dir = new TempDir();
        string iso = WriteImage(dir, IsoTrees.Seed(), Seed);
        string d = ExternalTools.RunOk("isoinfo", dir.Path, "-d", "-i", iso).StdOut;
        StringAssert.Contains(d, "Volume id: CIDATA");
        StringAssert.Contains(d, "Rock Ridge signatures version 1 found");
        StringAssert.Contains(d, "Joliet with UCS level 3 found");
        Assert.AreEqual("cidata", ExternalTools.RunOk("blkid", dir.Path, "-p", "-o", "value", "-s", "LABEL", iso).StdOut.Trim());
        Assert.AreEqual("iso9660", ExternalTools.RunOk("blkid", dir.Path, "-p", "-o", "value", "-s", "TYPE", iso).StdOut.Trim());
        string r = ExternalTools.RunOk("isoinfo", dir.Path, "-R", "-l", "-i", iso).StdOut;
        string j = ExternalTools.RunOk("isoinfo", dir.Path, "-J", "-l", "-i", iso).StdOut;
        foreach (string name in new[] { "user-data", "meta-data", "network-config" })
        {
            StringAssert.Contains(r, " " + name);
            StringAssert.Contains(j, " " + name);
        }
    }

    [TestMethod]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void GeneralTreeComesBackByteForByteWithModesAndLinks()
    {
        using var dir = new TempDir();
        var tree = IsoTrees.General(dir["big.src"]);
        string iso = WriteImage(dir, tree, Seed with { VolumeLabel = "General-Tree" });
        string report = ExternalTools.RunOk("xorriso", dir.Path, "-abort_on", "WARNING", "-indev", iso, "-find", "/", "-exec", "lsdl").StdOut;
        StringAssert.Contains(report, "-rw-------    1 0        0               5 ");
        StringAssert.Contains(report, "'/link' -> 'etc/Deep/Er/leaf.TXT'");
        StringAssert.Contains(report, "'/abs-link' -> '/usr/../bin/./sh'");
        StringAssert.Contains(ExternalTools.RunOk("isoinfo", dir.Path, "-d", "-i", iso).StdOut, "Volume id: GENERAL_TREE");

        string outDir = dir["out"];
        ExternalTools.RunOk("osirrox", dir.Path, "-abort_on", "WARNING", "-indev", iso, "-extract", "/", outDir);
        foreach (var e in tree.Entries)
        {
            string p = Path.Combine(outDir, e.Path);
            switch (e.Kind)
            {
                case TreeEntryKind.Directory:
                    Assert.IsTrue(Directory.Exists(p), e.Path);
                    break;
                case TreeEntryKind.Symlink:
                    Assert.AreEqual(e.LinkTarget, new FileInfo(p).LinkTarget, e.Path);
                    break;
                default:
                    using (var expected = FileTree.Open(e))
                    using (var ms = new MemoryStream())
                    {
                        expected.CopyTo(ms);
                        CollectionAssert.AreEqual(ms.ToArray(), File.ReadAllBytes(p), e.Path);
                    }
                    Assert.AreEqual(e.Mode, (int)File.GetUnixFileMode(p), e.Path);
                    break;
            }
        }
        Assert.AreEqual(tree.Entries.Count, Directory.EnumerateFileSystemEntries(outDir, "*", SearchOption.AllDirectories).Count());
    }

    [TestMethod]
    public void ListingsShowRockRidgeJolietAndPrimaryNames()
    {
        using var dir = new TempDir();
        string iso = WriteImage(dir, IsoTrees.General(dir["big.src"]), Seed);
        string r = ExternalTools.RunOk("isoinfo", dir.Path, "-R", "-l", "-i", iso).StdOut;
        StringAssert.Contains(r, IsoTrees.LongName);
        StringAssert.Contains(r, "Directory listing of /MixedCase Dir/");
        StringAssert.Contains(r, "Directory listing of /etc/Deep/Er/");
        StringAssert.Contains(r, " Readme.md");
        StringAssert.Contains(r, " readme.MD");
        StringAssert.Contains(r, "link -> etc/Deep/Er/leaf.TXT");
        string j = ExternalTools.RunOk("isoinfo", dir.Path, "-J", "-l", "-i", iso).StdOut;
        StringAssert.Contains(j, " " + IsoTrees.LongName[..64] + " ");
        Assert.IsFalse(j.Contains(IsoTrees.LongName, StringComparison.Ordinal), "Joliet names stop at 64 characters");
        StringAssert.Contains(j, "Directory listing of /MixedCase Dir/");
        StringAssert.Contains(j, " leaf.TXT");
        string plain = ExternalTools.RunOk("isoinfo", dir.Path, "-l", "-i", iso).StdOut;
        StringAssert.Contains(plain, "README.MD;1");
        StringAssert.Contains(plain, "README_1.MD;1");
        StringAssert.Contains(plain, "A_VERY_LONG_MIXED_CASE_FILE.TXT;1");
    }
}
