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
}
