using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Vdi.VdiTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Vdi;

[TestClass]
public sealed class VdiCheckTests
{
    private static (CheckResult Result, List<string> Lines) Check(string path, CheckRepair repair = CheckRepair.None)
    {
        using var dev = Open(path, writable: repair != CheckRepair.None);
        var log = new CheckLines();
        return (dev.Check(repair, log), log.All);
    }

    [TestMethod]
    public void ACleanImageHasNoFindings()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 8 * MiB);
        using (var dev = Open(path, writable: true))
            dev.Write(3L * MiB, new byte[4096]);
        var (result, lines) = Check(path);
        Assert.AreEqual(0, result.Corruptions);
        Assert.AreEqual(0, lines.Count);
        Assert.AreEqual(new CheckResult(), result, "vdi reports no cluster counts or end offset");
    }

    [TestMethod]
    public void EveryBadEntryIsOneCorruptionWithQemusLine()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 8 * MiB);
        PatchU32(path, 0x200 + 0 * 4, 2);
        PatchU32(path, 0x200 + 1 * 4, 2); // the same data block again
        PatchU32(path, 0x200 + 2 * 4, 8); // past blocks_in_image
        PatchU32(path, 0x200 + 3 * 4, 0xFFFFFFFE); // discarded: fine
        PatchU32(path, 0x200 + 4 * 4, 5);
        PatchU32(path, BlocksAllocated, 7);
        var (result, lines) = Check(path);
        CollectionAssert.AreEqual(new[]
        {
            "ERROR: block index 2 also used by 2",
            "ERROR: block index 2 too large, is 8",
            "ERROR: allocated blocks mismatch, is 3, should be 7",
        }, lines);
        Assert.AreEqual(3, result.Corruptions);
    }

    [TestMethod]
    public void RepairIsAnsweredAsQemuAnswersIt()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, MiB);
        Assert.ThrowsExactly<CheckNotSupportedException>(() => Check(path, CheckRepair.Leaks));
        Assert.ThrowsExactly<CheckNotSupportedException>(() => Check(path, CheckRepair.All));
    }
}
