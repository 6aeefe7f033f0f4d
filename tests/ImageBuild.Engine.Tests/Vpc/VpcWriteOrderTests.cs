using ImageBuild.Engine.Host;
using ImageBuild.Engine.Tests.Vdi;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Vpc.VpcTestSupport;
using static ImageBuild.Tests.Shared.BigEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Vpc;

/// <summary>
/// The order of a dynamic VHD's allocating write: the block's data and bitmap, the footer at the new end, a flush, then
/// its BAT entry (an entry never names a block past the end of the file, which qemu refuses); a crash anywhere leaves an image that opens and reads the old content (at worst an orphan block).
/// </summary>
[TestClass]
public sealed class VpcWriteOrderTests
{
    [TestMethod]
    public void NewBlockIsWrittenThenFlushedThenNamedInTheBatThenTheFooterMoves()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vhd"];
        Create(path, 8 * MiB);
        long oldEnd = new FileInfo(path).Length - 512; // the footer's place: the new block goes there
        var rec = new VdiWriteRecorder();
        using (var dev = Open(path, writable: true, Ctx(rec)))
        {
            rec.Changes.Clear();
            dev.Write(2 * MiB + 4096, Pattern(8192, 1));
        }
        var changes = rec.Changes.Where(c => c.Change is HostFileChange.Write or HostFileChange.Flush).ToList();
        Assert.IsTrue(changes.Count >= 5, string.Join(", ", changes));
        Assert.AreEqual((HostFileChange.Write, oldEnd + 512 + 4096, 8192L), changes[0], "the data, after the bitmap's place");
        Assert.AreEqual((HostFileChange.Write, oldEnd, 512L), changes[1], "the all-ones bitmap");
        Assert.AreEqual((HostFileChange.Write, oldEnd + 512 + 2 * MiB, 512L), changes[2], "the footer at the new end");
        Assert.AreEqual(HostFileChange.Flush, changes[3].Change, "all on disk before anything names the block");
        Assert.AreEqual((HostFileChange.Write, 1536L + 4, 4L), changes[4], "the BAT entry of block 1");
    }

    [TestMethod]
    [DataRow(0)] // before the data
    [DataRow(1)] // before the bitmap
    [DataRow(2)] // before the footer
    [DataRow(3)] // before the flush
    [DataRow(4)] // before the BAT entry
    public void CrashAtAnyStepLeavesAnImageThatReads(int step)
    {
        using var tmp = new TempDir();
        string path = tmp["a.vhd"];
        Create(path, 8 * MiB);
        using (var dev = Open(path, writable: true))
            dev.Write(0, Pattern(4096, 2));
        var rec = new VdiWriteRecorder(failAt: step, crash: true);
        try
        {
            using var dev = Open(path, writable: true, Ctx(rec));
            dev.Write(4 * MiB, Pattern(4096, 3));
        }
        catch (VdiWriteRecorder.CrashException)
        {
        }
        using var after = Open(path, writable: true);
        var back = new byte[4096];
        after.Read(0, back);
        CollectionAssert.AreEqual(Pattern(4096, 2), back, "what was written before");
        after.Read(4 * MiB, back);
        Assert.IsTrue(back.All(b => b == 0) || back.SequenceEqual(Pattern(4096, 3)), "the interrupted write is absent or whole");
        // the image stays writable: the next block lands after everything the BAT names
        after.Write(6 * MiB, Pattern(512, 4));
        after.Read(6 * MiB, back.AsSpan(0, 512));
        CollectionAssert.AreEqual(Pattern(512, 4), back[..512]);
        after.Read(0, back);
        CollectionAssert.AreEqual(Pattern(4096, 2), back, "earlier data survives the next allocation");
    }

    [TestMethod]
    public void FailedWriteIsForgottenAndTheNextOneReusesThePlace()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vhd"];
        Create(path, 8 * MiB);
        long end = new FileInfo(path).Length;
        var rec = new VdiWriteRecorder(failAt: 4); // the BAT entry's write fails (EIO)
        using var dev = Open(path, writable: true, Ctx(rec));
        Assert.ThrowsExactly<ImageException>(() => dev.Write(0, Pattern(512, 1)));
        var back = new byte[512];
        dev.Read(0, back);
        Assert.IsTrue(back.All(b => b == 0), "the block is not named");
        dev.Write(2 * MiB, Pattern(512, 2));
        long entry = ReadU32(path, 1536 + 4);
        Assert.AreEqual(end - 512, entry * 512, "the next block takes the place the failed one had");
    }
}
