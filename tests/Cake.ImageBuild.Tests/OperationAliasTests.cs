using Cake.Core;
using Cake.ImageBuild.Tests.Fakes;
using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests;

/// <summary>The single-operation aliases in-process: each writes what qemu-img would, and is skipped when asked again unchanged.</summary>
[TestClass]
public sealed class OperationAliasTests
{
    [TestMethod]
    public void CreateConvertResizeMeasureAndInfoResolveRelativePathsAndSkip()
    {
        using var dir = new TempDir();
        var context = new FakeCakeContext(dir.Path);

        var created = context.ImageBuildCreate("base.qcow2", "4M", new ImageBuildCreateSettings { Format = "qcow2" }.WithOption("cluster_size", "65536"));
        Assert.AreEqual(ImageBuildStepStatus.Ran, created.Status);
        Assert.AreEqual(dir["base.qcow2"], created.OutputPath!.FullPath);
        Assert.IsTrue(context.ImageBuildCreate("base.qcow2", "4M", new ImageBuildCreateSettings { Format = "qcow2" }.WithOption("cluster_size", "65536")).Skipped);

        var raw = context.ImageBuildConvert("base.qcow2", "base.raw");
        Assert.AreEqual("raw", raw.Format);
        Assert.AreEqual(4L << 20, new FileInfo(dir["base.raw"]).Length);
        Assert.IsTrue(context.ImageBuildConvert("base.qcow2", "base.raw").Skipped);

        var resized = context.ImageBuildResize("base.raw", "big.raw", "+4M");
        Assert.AreEqual(8L << 20, resized.VirtualSize);

        var measured = context.ImageBuildMeasure("big.raw", new ImageBuildMeasureSettings { Format = "qcow2" });
        Assert.AreEqual("qcow2", measured.Format);
        Assert.IsTrue(measured.FullyAllocated >= 8L << 20, measured.ToString());
        Assert.IsTrue(measured.Required < measured.FullyAllocated, measured.ToString());
        Assert.IsTrue(context.ImageBuildMeasure("big.raw", new ImageBuildMeasureSettings { Format = "qcow2" }).Step.Skipped);

        var info = context.ImageBuildInfo("base.qcow2");
        Assert.AreEqual("qcow2", info.Format);
        Assert.AreEqual(4L << 20, info.VirtualSize);
        Assert.AreEqual(65536L, info.ClusterSize);
        Assert.AreEqual("1.1", info.FormatSpecific["compat"]);
    }

    [TestMethod]
    [RequiresQemu]
    public void CompressedConvertPassesQemuImgCheckAndCompare()
    {
        using var dir = new TempDir();
        QemuOracle.ImgOk("create", "-f", "raw", dir["src.raw"], "4M");
        QemuOracle.IoOk("-f", "raw", "-c", "write -P 0x33 0 1M", dir["src.raw"]);
        var context = new FakeCakeContext(dir.Path);

        var zstd = context.ImageBuildConvert("src.raw", "z.qcow2", new ImageBuildConvertSettings().WithCompression(ImageBuildCompression.Zstd));
        Assert.AreEqual("qcow2", zstd.Format);
        QemuOracle.ImgOk("check", dir["z.qcow2"]);
        StringAssert.Contains(QemuOracle.ImgOk("info", dir["z.qcow2"]), "compression type: zstd");
        StringAssert.Contains(QemuOracle.ImgOk("compare", dir["src.raw"], dir["z.qcow2"]), "Images are identical");

        var check = context.ImageBuildCheck("z.qcow2");
        Assert.AreEqual(ImageBuildStepStatus.Ran, check.Status);
        context.ImageBuildCompare("src.raw", "z.qcow2");
    }

    [TestMethod]
    [RequiresQemu]
    public void CommitAndRebaseWriteCopiesAndLeaveInputsAlone()
    {
        using var dir = new TempDir();
        QemuOracle.ImgOk("create", "-f", "raw", dir["base.raw"], "4M");
        QemuOracle.ImgOk("create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", dir["top.qcow2"]);
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 0x44 2M 64k", dir["top.qcow2"]);
        string baseMd5 = QemuOracle.Md5OfFile(dir["base.raw"]);
        var context = new FakeCakeContext(dir.Path);

        var committed = context.ImageBuildCommit("top.qcow2", "merged.raw");
        Assert.AreEqual("raw", committed.Format);
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0x44 2M 64k", dir["merged.raw"]);
        Assert.AreEqual(baseMd5, QemuOracle.Md5OfFile(dir["base.raw"]), "commit must not touch the backing file");

        var flat = context.ImageBuildRebase("top.qcow2", "flat.qcow2", new ImageBuildRebaseSettings());
        Assert.AreEqual(ImageBuildStepStatus.Ran, flat.Status);
        var info = context.ImageBuildInfo("flat.qcow2");
        Assert.IsNull(info.BackingFilename);
        QemuOracle.ImgOk("check", dir["flat.qcow2"]);
        StringAssert.Contains(QemuOracle.ImgOk("compare", dir["top.qcow2"], dir["flat.qcow2"]), "Images are identical");

        var chain = context.ImageBuildInfo("top.qcow2", new ImageBuildInfoSettings().WithBackingChain());
        Assert.AreEqual("base.raw", chain.BackingFilename);
        Assert.AreEqual(1, chain.BackingChain.Count);
        Assert.AreEqual("raw", chain.BackingChain[0].Format);
    }

    [TestMethod]
    public void DifferingImagesFailCompare()
    {
        using var dir = new TempDir();
        var context = new FakeCakeContext(dir.Path);
        context.ImageBuildCreate("a.raw", "1M");
        context.ImageBuildCreate("b.raw", "2M");
        var e = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildCompare("a.raw", "b.raw", new ImageBuildCompareSettings().WithStrict()));
        StringAssert.StartsWith(e.Message, $"ImageBuildCompare 'a.raw' 'b.raw' failed: {dir["a.raw"]}: compare failed: ");
        StringAssert.Contains(e.Message, "[IMGB1002]");
    }

    /// <summary>Issue 14: without a format, an output's known extension decides it; a format it contradicts is refused.</summary>
    [TestMethod]
    [RequiresQemu]
    public void TheOutputsExtensionNamesItsFormatAndAContradictingFormatIsRefused()
    {
        using var dir = new TempDir();
        var context = new FakeCakeContext(dir.Path);
        Assert.AreEqual("qcow2", context.ImageBuildCreate("blank.qcow2", "1M").Format);
        StringAssert.Contains(QemuOracle.ImgOk("info", dir["blank.qcow2"]), "file format: qcow2");
        Assert.AreEqual("raw", context.ImageBuildCreate("a.raw", "1M").Format);

        var converted = context.ImageBuildConvert("a.raw", "b.qcow2");
        Assert.AreEqual("qcow2", converted.Format);
        StringAssert.Contains(QemuOracle.ImgOk("info", dir["b.qcow2"]), "file format: qcow2");
        QemuOracle.ImgOk("check", dir["b.qcow2"]);
        Assert.AreEqual("qcow", context.ImageBuildConvert("a.raw", "c.qcow").Format);
        Assert.AreEqual("raw", context.ImageBuildConvert("b.qcow2", "d.img").Format, ".img names no format: raw, as qemu-img");
        Assert.AreEqual("qcow2", context.ImageBuildConvert("a.raw", "e.img", new ImageBuildConvertSettings { Format = "qcow2" }).Format);
        Assert.AreEqual("qcow2", context.ImageBuildConvert("a.raw", "z.qcow2", new ImageBuildConvertSettings().WithCompression(ImageBuildCompression.Zlib)).Format);

        var contradiction = Assert.ThrowsExactly<CakeException>(() =>
            context.ImageBuildConvert("a.raw", "f.raw", new ImageBuildConvertSettings { Format = "qcow2" }));
        Assert.AreEqual(
            $"ImageBuildConvert 'a.raw' -> 'f.raw' failed: '{dir["f.raw"]}': format 'qcow2' contradicts the file's extension '.raw', " +
            "which names raw images; give format 'raw' or name the file 'f.qcow2'", contradiction.Message);
        Assert.IsFalse(File.Exists(dir["f.raw"]));
        var create = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildCreate("g.qcow2", "1M", new ImageBuildCreateSettings { Format = "raw" }));
        StringAssert.Contains(create.Message, "format 'raw' contradicts the file's extension '.qcow2', which names qcow2 images");
        Assert.IsFalse(File.Exists(dir["g.qcow2"]));
    }

    [TestMethod]
    [RequiresQemu]
    public void BadRequestsThrowCakeExceptions()
    {
        using var dir = new TempDir();
        var context = new FakeCakeContext(dir.Path);
        var missing = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildConvert("nope.raw", "out.qcow2"));
        StringAssert.Contains(missing.Message, $"input '{dir["nope.raw"]}' does not exist");
        StringAssert.Contains(missing.Message, "[IMGB1004]");

        context.ImageBuildCreate("a.raw", "1M");
        var compressRaw = Assert.ThrowsExactly<CakeException>(() =>
            context.ImageBuildConvert("a.raw", "b.raw", new ImageBuildConvertSettings { Format = "raw", Compression = ImageBuildCompression.Zlib }));
        StringAssert.Contains(compressRaw.Message, "format 'raw' cannot be written with compressed writes");

        LuksMagicOnly(dir["disk.luks"]);
        // Probes as luks, header damaged: qemu-img's message, never read as raw.
        var damaged = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildInfo("disk.luks"));
        StringAssert.Contains(damaged.Message, $"Could not open '{dir["disk.luks"]}': LUKS payload is overlapping with the header");
        var damagedConvert = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildConvert("disk.luks", "disk.qcow2", new ImageBuildConvertSettings { Format = "qcow2" }));
        StringAssert.Contains(damagedConvert.Message, $"Could not open '{dir["disk.luks"]}': LUKS payload is overlapping with the header");
        Assert.IsFalse(File.Exists(dir["disk.qcow2"]));

        var badSize = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildCreate("c.raw", "12Q"));
        StringAssert.Contains(badSize.Message, "invalid size '12Q'");

        var info = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildInfo("nope.qcow2"));
        StringAssert.StartsWith(info.Message, $"ImageBuildInfo '{dir["nope.qcow2"]}' failed: ");

        var gate = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildMeasure("a.raw", new ImageBuildMeasureSettings().WithMaxFullyAllocated("512k")));
        StringAssert.Contains(gate.Message, "measure failed: ");
    }

    /// <summary>A 1 MiB file with only a LUKS1 magic and version: it probes as luks (score 100), the rest is zeroes.</summary>
    private static void LuksMagicOnly(string path)
    {
        var image = new byte[1 << 20];
        new byte[] { (byte)'L', (byte)'U', (byte)'K', (byte)'S', 0xBA, 0xBE, 0, 1 }.CopyTo(image, 0);
        File.WriteAllBytes(path, image);
    }
}
