using ImageBuild.Oci.Distribution;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Distribution;

/// <summary>Where a pull writes, and that nothing of an uncommitted pull is left behind.</summary>
[TestClass]
public sealed class PullDestinationTests
{
    [TestMethod]
    public void ADirectoryKeepsTheNamesAndCommitRenamesIntoPlace()
    {
        using var tmp = new TempDir();
        using (var target = PullDestination.Prepare(tmp.Path, 2))
        {
            File.WriteAllText(target.Add("disk.vmdk"), "descriptor");
            File.WriteAllText(target.Add("disk-flat.vmdk"), "data");
            Assert.IsFalse(File.Exists(tmp["disk.vmdk"]), "nothing has its final name before the commit");
            target.Commit();
            CollectionAssert.AreEqual(new[] { tmp["disk.vmdk"], tmp["disk-flat.vmdk"] }, target.Paths.ToList());
        }
        Assert.AreEqual("descriptor", File.ReadAllText(tmp["disk.vmdk"]));
        Assert.HasCount(2, Directory.GetFiles(tmp.Path), "no temporaries are left");
    }

    [TestMethod]
    public void ASingleFileImageGoesToTheFileNamedAndSeveralFilesToANewDirectory()
    {
        using var tmp = new TempDir();
        using (var single = PullDestination.Prepare(tmp["copy.qcow2"], 1))
        {
            File.WriteAllText(single.Add("disk.qcow2"), "q");
            single.Commit();
        }
        Assert.AreEqual("q", File.ReadAllText(tmp["copy.qcow2"]));
        using (var several = PullDestination.Prepare(tmp["vm"], 2))
        {
            File.WriteAllText(several.Add("a.vmdk"), "a");
            File.WriteAllText(several.Add("a-flat.vmdk"), "b");
            several.Commit();
        }
        Assert.AreEqual("b", File.ReadAllText(Path.Combine(tmp["vm"], "a-flat.vmdk")));
        var e = Assert.ThrowsExactly<DistributionException>(() => PullDestination.Prepare(tmp["copy.qcow2"], 2));
        StringAssert.Contains(e.Message, "is a file, not a directory");
        e = Assert.ThrowsExactly<DistributionException>(() => PullDestination.Prepare(tmp["no/such/dir/x"], 1));
        StringAssert.Contains(e.Message, "does not exist");
    }

    [TestMethod]
    public void WithoutACommitNothingIsLeftNotEvenTheDirectoryItMade()
    {
        using var tmp = new TempDir();
        string dest = tmp["vm"];
        using (var target = PullDestination.Prepare(dest, 2))
        {
            File.WriteAllText(target.Add("a.vmdk"), "half");
            Assert.IsTrue(Directory.Exists(dest));
        }
        Assert.IsFalse(Directory.Exists(dest));
        using (var target = PullDestination.Prepare(tmp.Path, 1))
            File.WriteAllText(target.Add("x.raw"), "half");
        Assert.IsEmpty(Directory.GetFileSystemEntries(tmp.Path));
    }

    [TestMethod]
    [DataRow("../evil")]
    [DataRow("/etc/passwd")]
    [DataRow("..")]
    [DataRow("a/b")]
    [DataRow("")]
    public void NamesThatCouldLeaveTheDestinationAreRefused(string name)
    {
        using var tmp = new TempDir();
        using var target = PullDestination.Prepare(tmp.Path, 1);
        Assert.ThrowsExactly<InvalidDataException>(() => target.Add(name));
    }
}
