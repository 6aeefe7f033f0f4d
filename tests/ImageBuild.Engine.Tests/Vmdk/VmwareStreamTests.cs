using ImageBuild.Engine.Formats.Vmdk;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Tests.Vmdk.Spec;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>
/// Writing into a stream whose header says GD_AT_END (VMware's layout, stream_layout=vmware): the trailer is cut off,
/// grains appended, tables after their grains, the trailer written again; sessions after the first append too, and
/// VMware's own stream takes new grains without losing its layout.
/// </summary>
[TestClass]
public sealed class VmwareStreamTests
{
    private const int Grain = 65536;

    private static SparseExtent OpenExtent(string path, bool writable)
    {
        var file = HostFile.Open(path, writable);
        try
        {
            long capacity;
            using (var probe = SparseExtent.Open(HostFile.Open(path, false), "SPARSE", 0, false)) capacity = probe.Capacity;
            return SparseExtent.Open(file, "SPARSE", capacity, writable);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static byte[] Filled(byte value, int length = Grain) => Enumerable.Repeat(value, length).ToArray();

    private static void WriteGrain(SparseExtent e, long offset, byte value)
    {
        var compressor = e.CreateGrainCompressor(ImageBuild.Engine.Compression.DeflateLibrary.RuntimeZlibNg);
        var payload = new byte[2 * Grain];
        int n = compressor.Compress(Filled(value, (int)Math.Min(Grain, e.Length - offset)), payload);
        e.WriteCompressedGrain(offset, payload.AsSpan(0, n));
    }

    private static byte[] Read(SparseExtent e, long offset, int length)
    {
        var buf = new byte[length];
        var run = e.Lookup(offset, length);
        Assert.AreEqual(length, run.Length, "one grain");
        if (run.State == GrainState.Compressed) e.ReadRun(run, offset, buf);
        return buf;
    }

    private static void AssertQemuReads(string path, byte value, long offset, int length = Grain) =>
        QemuOracle.IoOk("-r", "-f", "vmdk", "-c", $"read -P {value} {offset} {length}", path);

    [TestMethod]
    [RequiresQemu]
    public void SessionsAppendAndEachLeavesACompleteStream()
    {
        using var tmp = new TempDir();
        string path = VmdkProducer.ImageBuild.Make(new VmdkOutputCase("empty", false, "subformat=streamOptimized,stream_layout=vmware", 40L << 20), tmp.Path);
        long emptyLength = new FileInfo(path).Length;
        using (var e = OpenExtent(path, writable: true))
        {
            Assert.AreEqual(emptyLength, new FileInfo(path).Length, "opening cuts nothing");
            WriteGrain(e, 0, 1);
            WriteGrain(e, 33L << 20, 2); // a second grain table (512 grains = 32 MiB each)
            e.Flush(); // a complete stream in the middle of the writes
            Assert.AreEqual(0, QemuOracle.Img("check", path).ExitCode, "complete after a flush");
            WriteGrain(e, 34L << 20, 3); // the second table again: written anew after this grain
            e.Write(35L << 20, Filled(0), (_, d) => d.Clear()); // an all-zero grain is left out
            e.Write(36L << 20, Filled(4), (_, d) => d.Clear());
            e.FinishCompressedWrites();
        }
        Assert.AreEqual(0, VmdkSpecChecker.Check(path).Count(v => !ProducedImageSpecTests.IsQemusUnpaddedCid(v) && !ProducedImageSpecTests.IsQemusStaleCidTail(v)), string.Join("\n", VmdkSpecChecker.Check(path)));
        using (var e = OpenExtent(path, writable: true))
        {
            Assert.AreEqual(GrainState.Unallocated, e.Lookup(35L << 20, Grain).State, "the zero grain left out");
            var err = Assert.ThrowsExactly<ImageException>(() => WriteGrain(e, 0, 9));
            Assert.AreEqual("Could not write to allocated cluster for streamOptimized", err.Message);
            WriteGrain(e, (40L << 20) - Grain, 5); // the last grain, in a later session
        } // disposing writes the trailer
        Assert.AreEqual(0, VmdkSpecChecker.Check(path).Count(v => !ProducedImageSpecTests.IsQemusUnpaddedCid(v) && !ProducedImageSpecTests.IsQemusStaleCidTail(v)), string.Join("\n", VmdkSpecChecker.Check(path)));
        Assert.AreEqual(0, QemuOracle.Img("check", path).ExitCode);
        foreach (var (value, offset) in new[] { (1, 0L), (2, 33L << 20), (3, 34L << 20), (0, 35L << 20), (4, 36L << 20), (5, (40L << 20) - Grain), (0, 1L << 20) })
            AssertQemuReads(path, (byte)value, offset);
        using (var e = OpenExtent(path, writable: false))
            CollectionAssert.AreEqual(Filled(3), Read(e, 34L << 20, Grain));
    }

    /// <summary>Grains out of order read back, and the checker says exactly that they are out of order.</summary>
    [TestMethod]
    [RequiresQemu]
    public void GrainsOutOfOrderStillReadBack()
    {
        using var tmp = new TempDir();
        string path = VmdkProducer.ImageBuild.Make(new VmdkOutputCase("empty", false, "subformat=streamOptimized,stream_layout=vmware", 4L << 20), tmp.Path);
        using (var e = OpenExtent(path, writable: true))
        {
            WriteGrain(e, 3L << 20, 7);
            WriteGrain(e, 1L << 20, 8);
        }
        CollectionAssert.AreEqual(new[] { VmdkRules.GrainOrder.Id }, VmdkSpecChecker.Check(path).Where(v => !ProducedImageSpecTests.IsQemusUnpaddedCid(v) && !ProducedImageSpecTests.IsQemusStaleCidTail(v)).Select(v => v.Rule.Id).Distinct().ToArray());
        AssertQemuReads(path, 7, 3L << 20);
        AssertQemuReads(path, 8, 1L << 20);
    }

    /// <summary>VMware's own stream (talaloni/StreamOptimized.vmdk, 10 GiB, two grains) takes a new grain and keeps its layout.</summary>
    [TestMethod]
    [RequiresQemu]
    [RequiresSharedImages]
    public void VmwaresOwnStreamTakesNewGrains()
    {
        using var tmp = new TempDir();
        string path = tmp["vmware.vmdk"];
        File.Copy(Path.Combine(QemuOracle.SharedImages!, "talaloni", "StreamOptimized.vmdk"), path);
        var before = VmdkSpecChecker.BrokenRules(path);
        byte[] first;
        using (var e = OpenExtent(path, writable: false)) first = Read(e, 0, Grain);
        using (var e = OpenExtent(path, writable: true))
        {
            WriteGrain(e, 1L << 30, 0x5a);
            e.FinishCompressedWrites();
        }
        CollectionAssert.AreEqual(before.ToArray(), VmdkSpecChecker.BrokenRules(path).ToArray(), "no rule broken that was not before");
        Assert.AreEqual(0, QemuOracle.Img("check", path).ExitCode);
        AssertQemuReads(path, 0x5a, 1L << 30);
        using (var e = OpenExtent(path, writable: false))
            CollectionAssert.AreEqual(first, Read(e, 0, Grain), "VMware's grains unchanged");
    }
}
