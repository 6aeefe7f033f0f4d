using System.Text.Json;
using Cake.Core;
using Cake.ImageBuild.Tests.Fakes;
using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests;

/// <summary>
/// ImageBuildAzureVhd and ImageBuildHyperVVhdx: thin aliases over the recipe kinds azure-vhd and hyperv-vhdx. Without
/// the vpc or vhdx driver the engine refuses them by name; with it their outputs are checked through qemu-img.
/// </summary>
[TestClass]
public sealed class PlatformAliasTests
{
    private const long MiB = 1 << 20;

    private static bool HasDriver(string format) => FormatRegistry.CreateDefault().Find(format) is { } f and not UnsupportedFormat;

    private static JsonElement Info(params string[] args) => JsonDocument.Parse(QemuOracle.ImgOk(["info", "--output=json", .. args])).RootElement.Clone();

    [TestMethod]
    [RequiresQemu]
    public void AzureVhdRoundsUpToWholeMiBAndHyperVVhdxTakesItsSettings()
    {
        using var dir = new TempDir();
        var context = new FakeCakeContext(dir.Path);
        context.ImageBuildCreate("src.qcow2", "30000000", new ImageBuildCreateSettings { Format = "qcow2" });
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 0x5a 1M 64k", dir["src.qcow2"]);

        var bad = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildHyperVVhdx("src.qcow2", "bad.vhdx", new ImageBuildHyperVVhdxSettings().WithPhysicalSectorSize(1000)));
        StringAssert.Contains(bad.Message, "'physical-sector-size': 1000 is not a VHDX sector size (512 or 4096)");

        if (HasDriver("vpc"))
        {
            var vhd = context.ImageBuildAzureVhd("src.qcow2", "disk.vhd");
            Assert.AreEqual(29 * MiB, vhd.VirtualSize, "30000000 bytes round up to 29 MiB");
            Assert.AreEqual(29 * MiB + 512, new FileInfo(dir["disk.vhd"]).Length);
            Assert.AreEqual(29 * MiB, Info("-f", "vpc", dir["disk.vhd"]).GetProperty("virtual-size").GetInt64());
            Assert.AreEqual(0, QemuOracle.Img("compare", "-F", "vpc", dir["src.qcow2"], dir["disk.vhd"]).ExitCode);
            Assert.IsTrue(context.ImageBuildAzureVhd("src.qcow2", "disk.vhd").Skipped);
        }
        else
        {
            var refused = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildAzureVhd("src.qcow2", "disk.vhd"));
            StringAssert.Contains(refused.Message, "format 'vpc' is not supported by this engine yet");
        }

        var settings = new ImageBuildHyperVVhdxSettings().WithBlockSize("4M").WithSubformat("fixed");
        if (HasDriver("vhdx"))
        {
            var vhdx = context.ImageBuildHyperVVhdx("src.qcow2", "disk.vhdx", settings);
            Assert.AreEqual("vhdx", vhdx.Format);
            Assert.AreEqual(4 * MiB, Info("-f", "vhdx", dir["disk.vhdx"]).GetProperty("cluster-size").GetInt64());
            Assert.AreEqual(0, QemuOracle.Img("compare", "-F", "vhdx", dir["src.qcow2"], dir["disk.vhdx"]).ExitCode);
        }
        else
        {
            var refused = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildHyperVVhdx("src.qcow2", "disk.vhdx", settings));
            StringAssert.Contains(refused.Message, "format 'vhdx' is not supported by this engine yet");
        }
    }
}
