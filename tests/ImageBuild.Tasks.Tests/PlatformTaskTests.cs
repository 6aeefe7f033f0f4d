using System.Text.Json;
using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Tasks.Tests;

/// <summary>
/// ImageAzureVhd and ImageHyperVVhdx: thin tasks over the recipe kinds azure-vhd and hyperv-vhdx. Without the vpc or
/// vhdx driver the engine refuses them by name; with it their outputs are checked through qemu-img.
/// </summary>
[TestClass]
public sealed class PlatformTaskTests
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

    private static bool HasDriver(string format) => FormatRegistry.CreateDefault().Find(format) is { } f and not UnsupportedFormat;

    private T Run<T>(T task, bool expectSuccess = true) where T : ImageBuildTask
    {
        task.BuildEngine = _engine;
        task.ProjectDirectory = _dir.Path;
        Assert.AreEqual(expectSuccess, task.Execute(), _engine.Log);
        return task;
    }

    private static JsonElement Info(params string[] args) => JsonDocument.Parse(QemuOracle.ImgOk(["info", "--output=json", .. args])).RootElement.Clone();

    private string PatternedQcow2()
    {
        Run(new ImageCreate { Output = "src.qcow2", Size = "21M", Format = "qcow2" });
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 0x5a 20M 64k", _dir["src.qcow2"]);
        return _dir["src.qcow2"];
    }

    [TestMethod]
    [RequiresQemu]
    public void ImageAzureVhdWritesAFixedVhdOfWholeMiBAndSkipsWhenAskedAgain()
    {
        string src = PatternedQcow2();
        if (!HasDriver("vpc"))
        {
            Run(new ImageAzureVhd { Input = src, Output = "out/disk.vhd" }, expectSuccess: false);
            StringAssert.Contains(_engine.Errors.Single().Message, "format 'vpc' is not supported by this engine yet", _engine.Log);
            Assert.IsFalse(File.Exists(_dir["out/disk.vhd"]));
            return;
        }
        var task = Run(new ImageAzureVhd { Input = src, Output = "out/disk.vhd" });
        Assert.IsFalse(task.Skipped);
        Assert.AreEqual("vpc", task.OutputItem!.GetMetadata("Format"));
        Assert.AreEqual(21 * MiB, task.VirtualSize);
        Assert.AreEqual(21 * MiB + 512, new FileInfo(_dir["out/disk.vhd"]).Length);
        Assert.AreEqual(21 * MiB, Info("-f", "vpc", _dir["out/disk.vhd"]).GetProperty("virtual-size").GetInt64());
        Assert.AreEqual(0, QemuOracle.Img("compare", "-F", "vpc", src, _dir["out/disk.vhd"]).ExitCode);
        Assert.IsTrue(Run(new ImageAzureVhd { Input = src, Output = "out/disk.vhd" }).Skipped);
    }

    [TestMethod]
    [RequiresQemu]
    public void ImageHyperVVhdxTakesTheRecommendedSettingsAndRefusesOthersByName()
    {
        string src = PatternedQcow2();
        Run(new ImageHyperVVhdx { Input = src, Output = "bad.vhdx", LogicalSectorSize = "1024" }, expectSuccess: false);
        CollectionAssert.Contains(_engine.Errors.Select(e => e.Message).ToList(), "step 'hyperv-vhdx': 'logical-sector-size': 1024 is not a VHDX sector size (512 or 4096)", _engine.Log);
        _engine.Errors.Clear();
        if (!HasDriver("vhdx"))
        {
            Run(new ImageHyperVVhdx { Input = src, Output = "disk.vhdx" }, expectSuccess: false);
            StringAssert.Contains(_engine.Errors.Single().Message, "format 'vhdx' is not supported by this engine yet", _engine.Log);
            return;
        }
        var task = Run(new ImageHyperVVhdx { Input = src, Output = "disk.vhdx", BlockSize = "2M" });
        Assert.AreEqual("vhdx", task.OutputItem!.GetMetadata("Format"));
        var info = Info("-f", "vhdx", _dir["disk.vhdx"]);
        Assert.AreEqual(2 * MiB, info.GetProperty("cluster-size").GetInt64());
        Assert.AreEqual(21 * MiB, info.GetProperty("virtual-size").GetInt64());
        Assert.AreEqual(0, QemuOracle.Img("compare", "-F", "vhdx", src, _dir["disk.vhdx"]).ExitCode);
    }
}
