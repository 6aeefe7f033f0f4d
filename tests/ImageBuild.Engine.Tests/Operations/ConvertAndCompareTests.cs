using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Operations;

[TestClass]
public sealed class ConvertAndCompareTests
{
    private static readonly ImageContext Ctx = ImageContext.CreateDefault();

    /// <summary>A 4 MiB raw source with data at 1 MiB, a short zero gap inside data, and holes elsewhere.</summary>
    private static string MakeSource(TempDir tmp, string name = "src.raw", byte fill = 0x5A)
    {
        string path = tmp[name];
        using (var fs = new FileStream(path, FileMode.Create))
        {
            fs.SetLength(4 << 20);
            var data = new byte[256 * 1024];
            Array.Fill(data, fill);
            data.AsSpan(64 * 1024, 1024).Clear(); // 2 zero sectors inside data: written as data
            fs.Position = 1 << 20;
            fs.Write(data);
            fs.Position = 3 << 20;
            fs.Write(data.AsSpan(0, 4096));
        }
        return path;
    }

    [TestMethod]
    public void RawToRawCopiesBytesAndKeepsHoles()
    {
        using var tmp = new TempDir();
        string src = MakeSource(tmp);
        ImageConverter.Convert(Ctx, new ConvertRequest { Sources = [src], SourceFormat = "raw", OutputFilename = tmp["out.raw"] });
        CollectionAssert.AreEqual(File.ReadAllBytes(src), File.ReadAllBytes(tmp["out.raw"]));
        using var dev = ImageOpener.Open(Ctx, tmp["out.raw"], new OpenOptions { Format = "raw" });
        Assert.IsTrue(BlockLayer.GetStatus(dev, 2 << 20, 4096).IsZero, "zero source range stays a hole");
        Assert.IsTrue(BlockLayer.GetStatus(dev, (1 << 20) + 64 * 1024, 1024).IsData, "short zero gap inside data is written");
    }

    [TestMethod]
    public void SparseSizeZeroAllocatesEverything()
    {
        using var tmp = new TempDir();
        string src = MakeSource(tmp);
        ImageConverter.Convert(Ctx, new ConvertRequest { Sources = [src], SourceFormat = "raw", OutputFilename = tmp["out.raw"], SparseSize = 0 });
        using var dev = ImageOpener.Open(Ctx, tmp["out.raw"], new OpenOptions { Format = "raw" });
        var st = BlockLayer.GetStatus(dev, 0, dev.VirtualSize);
        Assert.IsTrue(st.IsData);
        Assert.AreEqual(dev.VirtualSize, st.Length);
    }

    [TestMethod]
    public void SeveralSourcesAreConcatenated()
    {
        using var tmp = new TempDir();
        string a = MakeSource(tmp, "a.raw", 0x11), b = MakeSource(tmp, "b.raw", 0x22);
        ImageConverter.Convert(Ctx, new ConvertRequest { Sources = [a, b], SourceFormat = "raw", OutputFilename = tmp["out.raw"] });
        CollectionAssert.AreEqual(File.ReadAllBytes(a).Concat(File.ReadAllBytes(b)).ToArray(), File.ReadAllBytes(tmp["out.raw"]));
    }

    [TestMethod]
    public void NoCreateIntoSmallerTargetFails()
    {
        using var tmp = new TempDir();
        string src = MakeSource(tmp);
        File.WriteAllBytes(tmp["small.raw"], new byte[1024]);
        var e = Assert.ThrowsExactly<ImageException>(() => ImageConverter.Convert(Ctx,
            new ConvertRequest { Sources = [src], SourceFormat = "raw", OutputFilename = tmp["small.raw"], NoCreate = true }));
        Assert.AreEqual("output file is smaller than input file", e.Message);
    }

    [TestMethod]
    [DataRow(1000L)]
    [DataRow(-512L)]
    [DataRow(32L << 20)]
    public void InvalidSparseSizeIsRejected(long s)
    {
        var e = Assert.ThrowsExactly<ImageException>(() => ImageConverter.Validate(
            new ConvertRequest { Sources = ["x"], OutputFilename = "y", SparseSize = s }));
        StringAssert.StartsWith(e.Message, "Invalid buffer size for sparse output specified.");
    }

    [TestMethod]
    public void ProgressEndsAt100AndNeverGoesBack()
    {
        using var tmp = new TempDir();
        string src = MakeSource(tmp);
        var seen = new List<double>();
        ImageConverter.Convert(Ctx, new ConvertRequest { Sources = [src], SourceFormat = "raw", OutputFilename = tmp["out.raw"], Progress = seen.Add });
        Assert.AreEqual(0.0, seen[0]);
        Assert.AreEqual(100.0, seen[^1]);
        for (int i = 1; i < seen.Count; i++) Assert.IsTrue(seen[i] >= seen[i - 1]);
    }

    [TestMethod]
    public void CompareReportsFirstDifferentSector()
    {
        using var tmp = new TempDir();
        string a = MakeSource(tmp, "a.raw"), b = MakeSource(tmp, "b.raw");
        Assert.AreEqual(new CompareResult(0, "Images are identical."), ImageComparer.Compare(Ctx, new CompareRequest { File1 = a, File2 = b }));
        using (var fs = new FileStream(b, FileMode.Open)) { fs.Position = (1 << 20) + 1000; fs.WriteByte(0); }
        Assert.AreEqual(new CompareResult(1, $"Content mismatch at offset {(1 << 20) + 512}!"), ImageComparer.Compare(Ctx, new CompareRequest { File1 = a, File2 = b }));
    }

    [TestMethod]
    public void CompareSizeMismatchScansTheTail()
    {
        using var tmp = new TempDir();
        string a = MakeSource(tmp, "a.raw");
        File.Copy(a, tmp["b.raw"]);
        using (var fs = new FileStream(tmp["b.raw"], FileMode.Open)) fs.SetLength(8 << 20);
        Assert.AreEqual(new CompareResult(0, "Warning: Image size mismatch!\nImages are identical."),
            ImageComparer.Compare(Ctx, new CompareRequest { File1 = a, File2 = tmp["b.raw"] }));
        Assert.AreEqual(new CompareResult(1, "Strict mode: Image size mismatch!"),
            ImageComparer.Compare(Ctx, new CompareRequest { File1 = a, File2 = tmp["b.raw"], Strict = true }));
        using (var fs = new FileStream(tmp["b.raw"], FileMode.Open)) { fs.Position = 6 << 20; fs.WriteByte(9); }
        Assert.AreEqual(new CompareResult(1, $"Warning: Image size mismatch!\nContent mismatch at offset {6 << 20}!"),
            ImageComparer.Compare(Ctx, new CompareRequest { File1 = a, File2 = tmp["b.raw"] }));
    }

    [TestMethod]
    public void CompareOpenFailureExitsTwo()
    {
        var e = Assert.ThrowsExactly<CompareException>(() => ImageComparer.Compare(Ctx, new CompareRequest { File1 = "/nonexistent.raw", File2 = "/nonexistent2.raw" }));
        Assert.AreEqual(2, e.ExitCode);
    }

    [TestMethod]
    [RequiresQemu]
    public void OurRawConversionMatchesQemuImgBytesAndAllocation()
    {
        using var tmp = new TempDir();
        string src = MakeSource(tmp);
        ImageConverter.Convert(Ctx, new ConvertRequest { Sources = [src], SourceFormat = "raw", OutputFilename = tmp["ours.raw"] });
        QemuOracle.ImgOk("convert", "-f", "raw", "-O", "raw", src, tmp["qemu.raw"]);
        Assert.AreEqual(QemuOracle.Md5OfFile(tmp["qemu.raw"]), QemuOracle.Md5OfFile(tmp["ours.raw"]));
        string mapOurs = QemuOracle.ImgOk("map", "--output=json", "-f", "raw", tmp["ours.raw"]);
        string mapQemu = QemuOracle.ImgOk("map", "--output=json", "-f", "raw", tmp["qemu.raw"]);
        Assert.AreEqual(mapQemu, mapOurs, "same data/hole layout as qemu-img's output");
        Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "raw", "-F", "raw", src, tmp["ours.raw"]).ExitCode);
    }

    [TestMethod]
    [RequiresQemu]
    public void CompareAgreesWithQemuImgOnQemuMadeImages()
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-f", "raw", tmp["a.raw"], "2M");
        QemuOracle.ImgOk("create", "-f", "raw", tmp["b.raw"], "2M");
        QemuOracle.IoOk("-f", "raw", "-c", "write -P 7 65536 4096", tmp["a.raw"]);
        QemuOracle.IoOk("-f", "raw", "-c", "write -P 7 65536 4096", "-c", "write -P 3 70000 10", tmp["b.raw"]);
        var q = QemuOracle.Img("compare", "-f", "raw", "-F", "raw", tmp["a.raw"], tmp["b.raw"]);
        var ours = ImageComparer.Compare(Ctx, new CompareRequest { File1 = tmp["a.raw"], File2 = tmp["b.raw"], Format1 = "raw", Format2 = "raw" });
        Assert.AreEqual(q.ExitCode, ours.ExitCode);
        Assert.AreEqual(q.StdOut.TrimEnd('\n'), ours.Message);
    }

    /// <summary>
    /// A caller cancelling from its progress callback (as the recipe host does) stops the copy with that exception,
    /// whichever writer reports, and leaves no output behind. A hang here was a writer swallowing the cancellation
    /// while the reader waited for room in the queue.
    /// </summary>
    [TestMethod]
    [DataRow("raw", 1)]
    [DataRow("raw", 8)]
    [DataRow("qcow2", 8)]
    public void CancellingFromTheProgressCallbackStopsTheCopyAndRemovesTheOutput(string format, int parallel)
    {
        using var tmp = new TempDir();
        string src = tmp["big.raw"];
        using (var fs = new FileStream(src, FileMode.Create))
        {
            var data = new byte[1 << 20];
            Array.Fill(data, (byte)0x77);
            for (int i = 0; i < 64; i++) fs.Write(data); // 64 MiB of data: many chunks
        }
        int reports = 0;
        var convert = Task.Run(() => ImageConverter.Convert(Ctx, new ConvertRequest
        {
            Sources = [src], SourceFormat = "raw", OutputFormat = format, OutputFilename = tmp["out.img"], Parallel = parallel,
            Progress = p =>
            {
                if (++reports == 5) throw new OperationCanceledException("cancelled by the caller");
            },
        }));
        // Waited for here, not by a test timeout: a hung conversion must fail this test, not stall the run.
        Assert.IsTrue(((IAsyncResult)convert).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "convert hung after the cancellation");
        var e = Assert.ThrowsExactly<OperationCanceledException>(() => convert.GetAwaiter().GetResult());
        Assert.AreEqual("cancelled by the caller", e.Message);
        Assert.IsFalse(File.Exists(tmp["out.img"]), "a cancelled conversion leaves no output");
    }
}
