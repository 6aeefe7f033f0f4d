using System.Text;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests.Filesystems;

/// <summary>cloud-init-seed: a NoCloud volume labelled cidata, read back with xorriso/isoinfo (ISO 9660) and mtools (FAT).</summary>
[TestClass]
public sealed class CloudInitSeedTests
{
    private static readonly byte[] UserData = Encoding.UTF8.GetBytes("#cloud-config\nhostname: demo\nruncmd:\n  - [echo, hi]\n");

    [TestMethod]
    [RequiresTool("osirrox")]
    [RequiresTool("isoinfo")]
    [RequiresTool("blkid")]
    public void IsoSeedHoldsTheFilesUnderTheCidataLabel()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: seed
                kind: cloud-init-seed
                user-data: seed/user-data
                network-config-text: |
                  version: 2
                  ethernets:
                    eth0: {dhcp4: true}
                instance-id: iid-demo-1
                hostname: demo
            """, ("seed/user-data", UserData));
        var run = f.Run();
        Assert.IsTrue(run.Succeeded, string.Join("\n", run.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        string iso = f.Out("seed.raw");
        // The label cloud-init looks for, as blkid (what it asks) reads it.
        Assert.AreEqual("cidata", ExternalTools.RunOk("blkid", f.Dir, "-p", "-o", "value", "-s", "LABEL", iso).StdOut.Trim());

        Directory.CreateDirectory(f["x"]);
        ExternalTools.RunOk("osirrox", f.Dir, "-indev", iso, "-extract", "/", f["x"]);
        var files = ContentFixture.FilesUnder(f["x"]);
        CollectionAssert.AreEqual(new[] { "meta-data", "network-config", "user-data" }, files.Keys.ToList());
        CollectionAssert.AreEqual(UserData, files["user-data"]);
        Assert.AreEqual("instance-id: iid-demo-1\nlocal-hostname: demo\n", Encoding.UTF8.GetString(files["meta-data"]));
        Assert.AreEqual("version: 2\nethernets:\n  eth0: {dhcp4: true}\n", Encoding.UTF8.GetString(files["network-config"]));
        // Joliet too (Windows and cloud-init's own reader see the same names).
        StringAssert.Contains(ExternalTools.RunOk("isoinfo", f.Dir, "-J", "-f", "-i", iso).StdOut, "/user-data");
    }

    [TestMethod]
    [RequiresTool("mcopy")]
    [RequiresTool("fsck.vfat")]
    public void FatSeedIsLabelledCidataAndClean()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: seed
                kind: cloud-init-seed
                filesystem: fat
                user-data-text: "#cloud-config\n"
                meta-data: seed/meta-data
            """, ("seed/meta-data", Encoding.UTF8.GetBytes("instance-id: fat-1\n")));
        Assert.IsTrue(f.Run().Succeeded);
        string img = f.Out("seed.raw");
        Assert.AreEqual(1 << 20, new FileInfo(img).Length, "the default FAT seed is 1 MiB");
        ExternalTools.RunOk("fsck.vfat", f.Dir, "-n", img);
        StringAssert.Contains(ExternalTools.RunOk("mdir", f.Dir, "-i", img, "::").StdOut, "CIDATA");
        Directory.CreateDirectory(f["x"]);
        ExternalTools.RunOk("mcopy", f.Dir, "-s", "-n", "-i", img, "::/", f["x"]);
        var files = ContentFixture.FilesUnder(f["x"]);
        CollectionAssert.AreEqual(new[] { "meta-data", "user-data" }, files.Keys.ToList());
        Assert.AreEqual("instance-id: fat-1\n", Encoding.UTF8.GetString(files["meta-data"]));
        Assert.AreEqual("#cloud-config\n", Encoding.UTF8.GetString(files["user-data"]));
    }

    [TestMethod]
    public void ChangingTheUserDataFileRebuildsTheSeed()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: seed
                kind: cloud-init-seed
                user-data: seed/user-data
            """, ("seed/user-data", UserData));
        Assert.IsTrue(f.Run().Succeeded);
        byte[] first = File.ReadAllBytes(f.Out("seed.raw"));
        Assert.AreEqual(0, f.Run().Ran().Length);
        f.WriteFile("seed/user-data", Encoding.UTF8.GetBytes("#cloud-config\nhostname: other\n"));
        CollectionAssert.AreEqual(new[] { "seed" }, f.Run().Ran());
        Assert.IsFalse(first.AsSpan().SequenceEqual(File.ReadAllBytes(f.Out("seed.raw"))));
    }
}
