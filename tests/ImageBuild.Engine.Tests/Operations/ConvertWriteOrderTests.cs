using System.Collections.Concurrent;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Operations;

/// <summary>
/// convert -W (ConvertRequest.OutOfOrder), issue 14 item 11c: without it the target is written in order, one write
/// after the other from one thread, as qemu-img's convert does; with it a raw target may be written from several
/// threads at once (at most -m, at most one per core).
/// </summary>
[TestClass]
public sealed class ConvertWriteOrderTests
{
    /// <summary>Records the data writes (1 MiB or more: not the metadata) made to one file, with their threads.</summary>
    private sealed class WriteRecorder(string target) : IHostFileFaults
    {
        public ConcurrentQueue<(long Offset, int Thread)> Writes { get; } = new();

        public void Before(HostFile file, HostFileChange change, long offset, long length)
        {
            if (change == HostFileChange.Write && file.Path == target && length >= 1 << 20)
                Writes.Enqueue((offset, Environment.CurrentManagedThreadId));
        }
    }

    /// <summary>24 MiB of non-zero data: a dozen 2 MiB write buffers.</summary>
    private static string MakeSource(TempDir tmp)
    {
        string path = tmp["src.raw"];
        var data = new byte[24 << 20];
        for (int i = 0; i < data.Length; i += 4096) data[i] = (byte)(i >> 12 | 1);
        File.WriteAllBytes(path, data);
        return path;
    }

    private static (List<(long Offset, int Thread)> Writes, byte[] Output) Convert(string format, bool outOfOrder)
    {
        using var tmp = new TempDir();
        string src = MakeSource(tmp);
        string output = tmp["out." + format];
        var recorder = new WriteRecorder(Path.GetFullPath(output));
        var ctx = new ImageContext(FormatRegistry.CreateDefault()) { HostFaults = recorder };
        ImageConverter.Convert(ctx, new ConvertRequest
        {
            Sources = [src], SourceFormat = "raw", OutputFormat = format, OutputFilename = output,
            OutOfOrder = outOfOrder, Parallel = 8,
        });
        var copy = tmp["copy.raw"];
        ImageConverter.Convert(ImageContext.CreateDefault(), new ConvertRequest { Sources = [output], SourceFormat = format, OutputFilename = copy });
        return ([.. recorder.Writes], File.ReadAllBytes(copy));
    }

    [TestMethod]
    [DataRow("raw")]
    [DataRow("qcow2")]
    public void WithoutDashWTheTargetIsWrittenInOrderFromOneThread(string format)
    {
        var (writes, output) = Convert(format, outOfOrder: false);
        var data = writes;
        Assert.IsTrue(data.Count >= 12, $"{data.Count} writes");
        Assert.AreEqual(1, writes.Select(w => w.Thread).Distinct().Count(), "writer threads");
        for (int i = 1; i < data.Count; i++)
            Assert.IsTrue(data[i].Offset > data[i - 1].Offset, $"write {i} at {data[i].Offset} after {data[i - 1].Offset}: {string.Join(' ', data.Select(w => w.Offset))}");
        using var tmp = new TempDir();
        CollectionAssert.AreEqual(File.ReadAllBytes(MakeSource(tmp)), output);
    }

    [TestMethod]
    public void WithDashWARawTargetMayBeWrittenFromSeveralThreads()
    {
        var (writes, output) = Convert("raw", outOfOrder: true);
        Assert.IsTrue(writes.Count >= 12, $"{writes.Count} writes");
        Assert.IsTrue(writes.Select(w => w.Thread).Distinct().Count() <= Math.Min(8, Environment.ProcessorCount));
        using var tmp = new TempDir();
        CollectionAssert.AreEqual(File.ReadAllBytes(MakeSource(tmp)), output);
    }

    [TestMethod]
    public void WriterCountFollowsDashWAndTheTarget()
    {
        Assert.AreEqual(1, ImageConverter.WriterCount(outOfOrder: false, concurrentTarget: true, parallel: 8, cores: 4));
        Assert.AreEqual(4, ImageConverter.WriterCount(outOfOrder: true, concurrentTarget: true, parallel: 8, cores: 4));
        Assert.AreEqual(2, ImageConverter.WriterCount(outOfOrder: true, concurrentTarget: true, parallel: 2, cores: 4));
        Assert.AreEqual(1, ImageConverter.WriterCount(outOfOrder: true, concurrentTarget: false, parallel: 8, cores: 4));
    }
}
