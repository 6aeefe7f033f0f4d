using System.Text.Json;
using ImageBuild.Tests.Shared;
using Microsoft.Build.Framework;

namespace ImageBuild.Tasks.Tests;

[TestClass]
public sealed class OperationTaskTests
{
    private const long MiB = 1 << 20;
    private TempDir _dir = null!;
    private FakeBuildEngine _engine = null!;

    [TestInitialize]
    public void Init()
    {
        _dir = new TempDir();
        _engine = new FakeBuildEngine(_dir["Sample.csproj"]);
    }

    [TestCleanup]
    public void Cleanup() => _dir.Dispose();

    private T Run<T>(T task, bool expectSuccess = true) where T : ImageBuildTask
    {
        task.BuildEngine = _engine;
        task.ProjectDirectory = _dir.Path;
        bool ok = task.Execute();
        Assert.AreEqual(expectSuccess, ok, _engine.Log);
        return task;
    }

    /// <summary>A 4 MiB raw image with a 64 KiB pattern at 1 MiB, made by qemu-io.</summary>
    private string PatternedRaw(string name = "src.raw")
    {
        Run(new ImageCreate { Output = name, Size = "4M" });
        QemuOracle.IoOk("-f", "raw", "-c", "write -P 0x5a 1M 64k", _dir[name]);
        return _dir[name];
    }

    private static JsonElement Json(params string[] args) => JsonDocument.Parse(QemuOracle.ImgOk(args)).RootElement.Clone();

    [TestMethod]
    [RequiresQemu]
    public void CreateAndConvertProduceImagesQemuImgAcceptsAndSkipWhenAskedAgain()
    {
        var create = Run(new ImageCreate { Output = "blank.qcow2", Size = "8M", Format = "qcow2", Options = ["cluster_size=65536"] });
        Assert.IsFalse(create.Skipped);
        Assert.AreEqual(8 * MiB, create.VirtualSize);
        QemuOracle.ImgOk("check", _dir["blank.qcow2"]);
        Assert.AreEqual(8 * MiB, Json("info", "--output=json", _dir["blank.qcow2"]).GetProperty("virtual-size").GetInt64());

        string src = PatternedRaw();
        var convert = Run(new ImageConvert { Input = src, Output = "out/disk.qcow2", OutputFormat = "qcow2" });
        Assert.IsFalse(convert.Skipped);
        Assert.AreEqual(_dir["out/disk.qcow2"], convert.OutputItem!.ItemSpec);
        Assert.AreEqual("qcow2", convert.OutputItem.GetMetadata("Format"));
        StringAssert.StartsWith(convert.ContentHash, "xxh128:");
        QemuOracle.ImgOk("check", _dir["out/disk.qcow2"]);
        QemuOracle.ImgOk("compare", src, _dir["out/disk.qcow2"]);

        _engine.Messages.Clear();
        var again = Run(new ImageConvert { Input = src, Output = "out/disk.qcow2", OutputFormat = "qcow2" });
        Assert.IsTrue(again.Skipped);
        Assert.AreEqual(convert.ContentHash, again.ContentHash);
        Assert.IsTrue(_engine.MessagesAtLeast(MessageImportance.Normal).Any(m => m.Contains("up to date", StringComparison.Ordinal)), _engine.Log);

        // FileWrites names what this operation owns, for Clean: the image and its record, nothing of the input's.
        var owned = again.FileWrites.Select(i => i.ItemSpec).ToList();
        CollectionAssert.Contains(owned, _dir["out/disk.qcow2"]);
        CollectionAssert.Contains(owned, Path.Combine(_dir["out"], ".imagebuild", "op-disk.qcow2.json"));
        Assert.IsTrue(owned.All(File.Exists), string.Join(", ", owned));
        Assert.IsTrue(owned.All(f => f.StartsWith(_dir["out"] + Path.DirectorySeparatorChar, StringComparison.Ordinal)),
            "only files in the output's folder: " + string.Join(", ", owned));

        // A changed input makes it run again.
        QemuOracle.IoOk("-f", "raw", "-c", "write -P 0x11 0 4k", src);
        var changed = Run(new ImageConvert { Input = src, Output = "out/disk.qcow2", OutputFormat = "qcow2" });
        Assert.IsFalse(changed.Skipped);
        QemuOracle.ImgOk("compare", src, _dir["out/disk.qcow2"]);
    }

    [TestMethod]
    [RequiresQemu]
    public void ConvertWithCompressionWritesACompressedQcow2()
    {
        string src = PatternedRaw();
        var task = Run(new ImageConvert { Input = src, Output = "z.qcow2", CompressionType = "zstd" });
        Assert.AreEqual("qcow2", task.OutputItem!.GetMetadata("Format"));
        QemuOracle.ImgOk("check", _dir["z.qcow2"]);
        QemuOracle.ImgOk("compare", src, _dir["z.qcow2"]);
        var info = Json("info", "--output=json", _dir["z.qcow2"]);
        Assert.AreEqual("zstd", info.GetProperty("format-specific").GetProperty("data").GetProperty("compression-type").GetString());

        Run(new ImageConvert { Input = src, Output = "bad.raw", OutputFormat = "raw", Compress = true }, expectSuccess: false);
        Assert.AreEqual("IMGB1004", _engine.Errors.Single().Code);
    }

    /// <summary>Issue 14: without a format, the output's known extension decides it; a format it contradicts is refused.</summary>
    [TestMethod]
    [RequiresQemu]
    public void TheOutputsExtensionNamesItsFormatAndAContradictingFormatIsRefused()
    {
        Assert.AreEqual("qcow2", Run(new ImageCreate { Output = "blank.qcow2", Size = "1M" }).OutputItem!.GetMetadata("Format"));
        StringAssert.Contains(QemuOracle.ImgOk("info", _dir["blank.qcow2"]), "file format: qcow2");
        string src = PatternedRaw();
        var convert = Run(new ImageConvert { Input = src, Output = "disk.qcow2" });
        Assert.AreEqual("qcow2", convert.OutputItem!.GetMetadata("Format"));
        QemuOracle.ImgOk("compare", src, _dir["disk.qcow2"]);
        Assert.AreEqual("raw", Run(new ImageConvert { Input = _dir["disk.qcow2"], Output = "disk.img" }).OutputItem!.GetMetadata("Format"));

        Run(new ImageConvert { Input = src, Output = "bad.raw", OutputFormat = "qcow2" }, expectSuccess: false);
        var error = _engine.Errors.Single();
        Assert.AreEqual("IMGB1004", error.Code);
        Assert.AreEqual($"ImageConvert: '{_dir["bad.raw"]}': format 'qcow2' contradicts the file's extension '.raw', which names raw images; " +
            "give format 'raw' or name the file 'bad.qcow2'", error.Message);
        Assert.IsFalse(File.Exists(_dir["bad.raw"]));
    }

    [TestMethod]
    [RequiresQemu]
    public void MeasureOutputsQemuImgsNumbers()
    {
        string src = PatternedRaw();
        var task = Run(new ImageMeasure { Input = src, Format = "qcow2" });
        var expected = Json("measure", "--output=json", "-O", "qcow2", src);
        Assert.AreEqual(expected.GetProperty("required").GetInt64(), task.RequiredSize);
        Assert.AreEqual(expected.GetProperty("fully-allocated").GetInt64(), task.FullyAllocatedSize);
        Assert.AreEqual("qcow2", task.MeasuredFormat);

        Run(new ImageMeasure { Input = src, Format = "qcow2", MaxRequired = "64k" }, expectSuccess: false);
        var error = _engine.Errors.Single();
        Assert.AreEqual("IMGB1002", error.Code);
        Assert.AreEqual(src, error.File);
    }

    [TestMethod]
    [RequiresQemu]
    public void ResizeWritesAResizedCopyAndLeavesTheInputAlone()
    {
        string src = PatternedRaw();
        string before = QemuOracle.Md5OfFile(src);
        var task = Run(new ImageResize { Input = src, Output = "big.raw", Size = "+4M" });
        Assert.AreEqual(8 * MiB, task.VirtualSize);
        Assert.AreEqual(8 * MiB, Json("info", "--output=json", _dir["big.raw"]).GetProperty("virtual-size").GetInt64());
        Assert.AreEqual(before, QemuOracle.Md5OfFile(src));

        Run(new ImageResize { Input = src, Output = "small.raw", Size = "-1M" }, expectSuccess: false);
        Assert.AreEqual("IMGB1002", _engine.Errors.Single().Code, "shrinking needs Shrink=true, as qemu-img resize needs --shrink");
    }

    [TestMethod]
    [RequiresQemu]
    public void CommitAndFlattenGiveTheOverlaysContent()
    {
        string baseImage = PatternedRaw("base.raw");
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", _dir["top.qcow2"]);
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 0x77 2M 64k", _dir["top.qcow2"]);
        string baseBefore = QemuOracle.Md5OfFile(baseImage);

        var commit = Run(new ImageCommit { Input = "top.qcow2", Output = "out/committed.raw" });
        Assert.AreEqual("raw", commit.OutputItem!.GetMetadata("Format"));
        QemuOracle.ImgOk("compare", _dir["top.qcow2"], _dir["out/committed.raw"]);
        Assert.AreEqual(baseBefore, QemuOracle.Md5OfFile(baseImage), "commit works on copies");

        // In another folder: the copy a rebase starts from still finds the backing file the overlay names.
        var flat = Run(new ImageRebase { Input = "top.qcow2", Output = "out/flat.qcow2" });
        Assert.IsFalse(flat.Skipped);
        QemuOracle.ImgOk("check", _dir["out/flat.qcow2"]);
        QemuOracle.ImgOk("compare", _dir["top.qcow2"], _dir["out/flat.qcow2"]);
        var info = Run(new ImageInfo { Input = "out/flat.qcow2" });
        Assert.AreEqual("", info.BackingFile);
    }

    [TestMethod]
    [RequiresQemu]
    public void CheckAndComparePassOnGoodImagesAndCompareFailsOnDifferentOnes()
    {
        string src = PatternedRaw();
        Run(new ImageConvert { Input = src, Output = "a.qcow2", OutputFormat = "qcow2" });
        Run(new ImageCheck { Input = "a.qcow2" });
        Run(new ImageCompare { Input = src, Other = "a.qcow2" });

        QemuOracle.IoOk("-f", "raw", "-c", "write -P 0x01 3M 4k", src);
        Run(new ImageCompare { Input = src, Other = "a.qcow2" }, expectSuccess: false);
        var error = _engine.Errors.Single();
        Assert.AreEqual("IMGB1002", error.Code);
        Assert.AreEqual(1, QemuOracle.Img("compare", src, _dir["a.qcow2"]).ExitCode, "qemu-img agrees they differ");
    }

    [TestMethod]
    [RequiresQemu]
    public void InfoReportsWhatQemuImgInfoReports()
    {
        string baseImage = PatternedRaw("base.raw");
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", _dir["top.qcow2"]);
        var task = Run(new ImageInfo { Input = "top.qcow2", BackingChain = true });
        var expected = Json("info", "--output=json", _dir["top.qcow2"]);
        Assert.AreEqual("qcow2", task.Format);
        Assert.AreEqual(expected.GetProperty("virtual-size").GetInt64(), task.VirtualSize);
        Assert.AreEqual(expected.GetProperty("cluster-size").GetInt64(), task.ClusterSize);
        Assert.AreEqual("base.raw", task.BackingFile);
        Assert.AreEqual(2, task.Chain.Length);
        Assert.AreEqual(baseImage, task.Chain[1].ItemSpec);
        Assert.AreEqual("raw", task.Chain[1].GetMetadata("Format"));
    }

    [TestMethod]
    public void MissingOrInvalidParametersAreCodedErrors()
    {
        Run(new ImageConvert { Input = "nope.raw", Output = "x.qcow2", OutputFormat = "qcow2" }, expectSuccess: false);
        Assert.AreEqual("IMGB1004", _engine.Errors.Single().Code);
        StringAssert.Contains(_engine.Errors[0].Message, "does not exist");

        _engine.Errors.Clear();
        Run(new ImageCreate { Output = "x.raw", Size = "1M", Options = ["nonsense"] }, expectSuccess: false);
        Assert.AreEqual("IMGB1004", _engine.Errors.Single().Code);

        _engine.Errors.Clear();
        Run(new ImageInfo { Input = "nope.raw" }, expectSuccess: false);
        Assert.AreEqual(1, _engine.Errors.Count, _engine.Log);
        Assert.IsFalse(File.Exists(_dir["x.raw"]));
    }

    /// <summary>
    /// A file that probes as luks but whose header is damaged is refused with qemu-img's message, never read as raw
    /// (it was the example of a format without a driver until luks got one, issue #18; the recipe tests keep that
    /// case with a made-up format, <see cref="DriverlessImages"/>).
    /// </summary>
    [TestMethod]
    public void ADamagedLuksHeaderIsRefusedWithQemusMessageNeverReadAsRaw()
    {
        LuksMagicOnly(_dir["disk.luks"]);
        Run(new ImageInfo { Input = "disk.luks" }, expectSuccess: false);
        Assert.AreEqual($"Could not open '{_dir["disk.luks"]}': LUKS payload is overlapping with the header", _engine.Errors.Single().Message, _engine.Log);

        _engine.Errors.Clear();
        Run(new ImageConvert { Input = "disk.luks", Output = "disk.qcow2", OutputFormat = "qcow2" }, expectSuccess: false);
        // Converting from it fails on qemu's message too (a header that cannot be read says nothing of encryption).
        Assert.AreEqual($"convert failed: cannot read inputs: Could not open '{_dir["disk.luks"]}': LUKS payload is overlapping with the header",
            _engine.Errors.Single().Message, _engine.Log);
        Assert.IsFalse(File.Exists(_dir["disk.qcow2"]), "nothing written");
    }

    /// <summary>A 1 MiB file with only a LUKS1 magic and version: it probes as luks (score 100), the rest is zeroes.</summary>
    private static void LuksMagicOnly(string path)
    {
        var image = new byte[1 << 20];
        new byte[] { (byte)'L', (byte)'U', (byte)'K', (byte)'S', 0xBA, 0xBE, 0, 1 }.CopyTo(image, 0);
        File.WriteAllBytes(path, image);
    }
}
