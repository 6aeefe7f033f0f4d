using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests;

[TestClass]
public sealed class RawFormatTests
{
    [TestMethod]
    public void CreatedRawRoundsSizeUpTo512AndWritesFirstBlock()
    {
        using var tmp = new TempDir();
        var ctx = ImageContext.CreateDefault();
        ImageCreator.Create(ctx, new CreateImageRequest { Filename = tmp["r.raw"], Format = "raw", Size = 1000 }, null);
        Assert.AreEqual(1024L, new FileInfo(tmp["r.raw"]).Length);
        using var dev = ImageOpener.Open(ctx, tmp["r.raw"], new OpenOptions { Format = "raw" });
        Assert.AreEqual(1024L, dev.VirtualSize);
        var st = BlockLayer.GetStatus(dev, 0, dev.VirtualSize);
        Assert.IsTrue(st.IsData && st.IsAllocated && st.HasOffset);
    }

    [TestMethod]
    public void HolesReportAsZeroAndWritesReadBack()
    {
        using var tmp = new TempDir();
        var ctx = ImageContext.CreateDefault();
        ImageCreator.Create(ctx, new CreateImageRequest { Filename = tmp["r.raw"], Format = "raw", Size = 4 << 20 }, null);
        using var dev = ImageOpener.Open(ctx, tmp["r.raw"], new OpenOptions { Format = "raw", Writable = true });
        var hole = BlockLayer.GetStatus(dev, 1 << 20, 1 << 20);
        Assert.IsTrue(hole.IsZero, "untouched middle of a sparse raw file is a hole");
        Assert.IsFalse(hole.IsData);
        byte[] data = Enumerable.Range(0, 8192).Select(i => (byte)i).ToArray();
        dev.Write(2 << 20, data);
        byte[] back = new byte[8192];
        dev.Read(2 << 20, back);
        CollectionAssert.AreEqual(data, back);
        Assert.IsTrue(BlockLayer.GetStatus(dev, 2 << 20, 8192).IsData);
    }

    [TestMethod]
    public void ProbingAnUnknownFileGuessesRawAndWarnsOnlyForWrites()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["x.img"], new byte[4096]);
        var warnings = new List<string>();
        var ctx = ImageContext.CreateDefault(warnings.Add);
        using (var ro = ImageOpener.Open(ctx, tmp["x.img"], new OpenOptions()))
            Assert.AreEqual("raw", ro.FormatName);
        Assert.AreEqual(0, warnings.Count);
        using (ImageOpener.Open(ctx, tmp["x.img"], new OpenOptions { Writable = true })) { }
        Assert.AreEqual(1, warnings.Count);
        StringAssert.StartsWith(warnings[0], "WARNING: Image format was not specified for '");
    }

    [TestMethod]
    public void MissingFileIsAOneLineErrorNamingIt()
    {
        var ctx = ImageContext.CreateDefault();
        var e = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(ctx, "/nonexistent/a.raw", new OpenOptions()));
        Assert.AreEqual("Could not open '/nonexistent/a.raw': Could not open '/nonexistent/a.raw': No such file or directory", e.Message);
    }

    [TestMethod]
    [RequiresQemu]
    public void QemuReadsOurRawAsWeWroteIt()
    {
        using var tmp = new TempDir();
        var ctx = ImageContext.CreateDefault();
        ImageCreator.Create(ctx, new CreateImageRequest { Filename = tmp["r.raw"], Format = "raw", Size = 1 << 20 }, null);
        using (var dev = ImageOpener.Open(ctx, tmp["r.raw"], new OpenOptions { Format = "raw", Writable = true }))
            dev.Write(65536, Enumerable.Repeat((byte)0xAB, 4096).ToArray());
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0xab 65536 4096", "-c", "read -P 0 0 65536", tmp["r.raw"]);
        string info = QemuOracle.ImgOk("info", "--output=json", "-f", "raw", tmp["r.raw"]);
        StringAssert.Contains(info, "\"virtual-size\": 1048576");
    }
}

[TestClass]
public sealed class ProbedRawGuardTests
{
    /// <summary>A format that claims files starting with "FAKE", to exercise probing without a real driver.</summary>
    private sealed class FakeFormat : ImageFormat
    {
        public override string Name => "fake";
        public override FormatCapabilities Capabilities { get; } = new(FormatFeatures.None, "fake");
        public override int Probe(ReadOnlySpan<byte> header, string filename) => header.StartsWith("FAKE"u8) ? 100 : 0;
        public override BlockDevice Open(OpenRequest request) => throw new ImageException("fake cannot open");
    }

    private static ImageContext Ctx() => new(new FormatRegistry().Register(new Formats.Raw.RawFormat()).Register(new FakeFormat()));

    [TestMethod]
    public void ProbedRawRefusesAFirstSectorThatWouldProbeAsAnotherFormat()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["x.img"], new byte[8192]);
        var ctx = Ctx();
        using var dev = ImageOpener.Open(ctx, tmp["x.img"], new OpenOptions { Writable = true });
        var evil = new byte[512];
        "FAKE"u8.CopyTo(evil);
        StringAssert.Contains(Assert.ThrowsExactly<ImageException>(() => dev.Write(0, evil)).Message, "Operation not permitted");
        StringAssert.Contains(Assert.ThrowsExactly<ImageException>(() => dev.Write(100, new byte[10])).Message, "Invalid argument");
        dev.Write(0, new byte[512]); // harmless first sector
        dev.Write(512, evil); // other sectors are not guarded
        Assert.AreEqual(0, File.ReadAllBytes(tmp["x.img"])[0]);
    }

    [TestMethod]
    public void ExplicitRawMayWriteAnything()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["x.img"], new byte[8192]);
        using var dev = ImageOpener.Open(Ctx(), tmp["x.img"], new OpenOptions { Format = "raw", Writable = true });
        var evil = new byte[512];
        "FAKE"u8.CopyTo(evil);
        dev.Write(0, evil);
        Assert.AreEqual((byte)'F', File.ReadAllBytes(tmp["x.img"])[0]);
    }
}
