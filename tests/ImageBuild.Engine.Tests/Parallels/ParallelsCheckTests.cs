using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Parallels.ParallelsTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Parallels;

[TestClass]
public sealed class ParallelsCheckTests
{
    private static (CheckOutcome Outcome, List<string> Lines) Check(string path, CheckRepair repair = CheckRepair.None)
    {
        using var dev = Open(path, writable: repair != CheckRepair.None, forCheck: true);
        var log = new ParallelsCheckLines();
        return (ImageChecker.Check(dev, repair, log), log.All);
    }

    /// <summary>A 16 KiB image of 4 KiB clusters, header and BAT in the first cluster, the given entries and file length.</summary>
    private static string Make(TempDir tmp, long fileLength, params uint[] entries)
    {
        string path = tmp["a.hdd"];
        Create(path, 16384, clusterSize: 4096);
        for (int i = 0; i < entries.Length; i++) PatchU32(path, Bat + i * 4, entries[i]);
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(fileLength);
        return path;
    }

    [TestMethod]
    public void ACleanImageCountsItsClusters()
    {
        using var tmp = new TempDir();
        string path = Make(tmp, 4 * 4096, 1, 3, 0, 2);
        var (o, lines) = Check(path);
        Assert.AreEqual(0, lines.Count);
        Assert.AreEqual(new CheckResult { TotalClusters = 4, AllocatedClusters = 3, FragmentedClusters = 1, ImageEndOffset = 4 * 4096 }, o.Result);
    }

    [TestMethod]
    public void AClusterPastTheEndIsACorruptionAndTheTailALeak()
    {
        using var tmp = new TempDir();
        string path = Make(tmp, 3 * 4096 + 10, 1, 2, 100, 0);
        var (o, lines) = Check(path);
        CollectionAssert.AreEqual(new[] { "ERROR cluster 2 is outside image" }, lines,
            "the tail is not leaked: the cluster past the end raises the image end");
        Assert.AreEqual(1, o.Result.Corruptions);
        Assert.AreEqual(101 * 4096, o.Result.ImageEndOffset);

        (o, lines) = Check(path, CheckRepair.All);
        CollectionAssert.AreEqual(new[]
        {
            "Repairing cluster 2 is outside image",
            "Repairing space leaked at the end of the image 512", // the file's length counts in whole sectors
        }, lines);
        Assert.IsTrue(o.Repaired);
        Assert.AreEqual(new CheckResult
        {
            CorruptionsFixed = 1, LeaksFixed = 1, TotalClusters = 4, AllocatedClusters = 2, ImageEndOffset = 3 * 4096,
        }, o.Result);
        Assert.AreEqual(0u, ReadU32(path, Bat + 2 * 4));
    }

    [TestMethod]
    public void LeaksAreRepairedByTruncatingButCloseRestoresTheDataEnd()
    {
        using var tmp = new TempDir();
        string path = Make(tmp, 6 * 4096, 1, 2, 0, 0);
        var (o, lines) = Check(path, CheckRepair.Leaks);
        CollectionAssert.AreEqual(new[] { "Repairing space leaked at the end of the image 12288" }, lines);
        Assert.AreEqual(3, o.Result.LeaksFixed);
        Assert.AreEqual(3 * 4096, new FileInfo(path).Length);
    }

    [TestMethod]
    public void AnImageNotClosedCleanlyIsOneCorruptionRepairedByClose()
    {
        using var tmp = new TempDir();
        string path = Make(tmp, 2 * 4096, 1);
        PatchU32(path, InUse, InUseMagic);
        var (o, lines) = Check(path);
        CollectionAssert.AreEqual(new[] { "ERROR image was not closed correctly" }, lines);
        Assert.AreEqual(1, o.Result.Corruptions);
        Assert.AreEqual(InUseMagic, ReadU32(path, InUse), "a plain check leaves the header alone");

        (o, lines) = Check(path, CheckRepair.Leaks);
        CollectionAssert.AreEqual(new[] { "ERROR image was not closed correctly" }, lines, "-r leaks does not count it fixed");
        Assert.AreEqual(0u, ReadU32(path, InUse), "yet the read-write open's close clears it, as qemu's does");

        PatchU32(path, InUse, InUseMagic);
        (o, lines) = Check(path, CheckRepair.All);
        CollectionAssert.AreEqual(new[] { "Repairing image was not closed correctly" }, lines);
        Assert.AreEqual(1, o.Result.CorruptionsFixed);
        Assert.AreEqual(0, o.Result.Corruptions);
        Assert.AreEqual(0u, ReadU32(path, InUse));
    }
}
