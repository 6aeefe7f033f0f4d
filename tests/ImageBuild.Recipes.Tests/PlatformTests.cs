using System.Text.Json;
using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Platforms;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// The platform steps: <c>azure-vhd</c> (a fixed VHD of whole MiB, Azure's limits) and <c>hyperv-vhdx</c> (Hyper-V's
/// recommended VHDX). What needs no driver (the size rules, validation) is tested always; what needs the vpc or vhdx
/// driver asks the engine's registry: without the driver the recipe must be refused by name at validate time, with it
/// the outputs are checked through qemu-img.
/// </summary>
[TestClass]
public sealed class PlatformTests
{
    private const long MiB = 1024 * 1024;
    private static readonly FormatRegistry Formats = FormatRegistry.CreateDefault();

    private static bool HasDriver(string format) => Formats.Find(format) is { } f and not UnsupportedFormat;

    private static JsonElement Info(params string[] args) => JsonDocument.Parse(QemuOracle.ImgOk(["info", "--output=json", .. args])).RootElement;

    [TestMethod]
    [DataRow(40000000L, 39 * MiB)]          // 38.15 MiB (40 MB) rounds up to 39 MiB
    [DataRow(40 * MiB, 40 * MiB)]           // whole MiB stays
    [DataRow(40 * MiB + 512, 41 * MiB)]
    [DataRow(512L, 20 * MiB)]               // below Azure's minimum: grown to 20 MiB
    [DataRow(20 * MiB - 512, 20 * MiB)]
    [DataRow(20 * MiB + 1, 21 * MiB)]
    [DataRow(2040L * 1024 * MiB, 2040L * 1024 * MiB)]     // the largest VHD
    [DataRow(2040L * 1024 * MiB - 512, 2040L * 1024 * MiB)]
    public void AzureSizesAreWholeMiBBetweenAzuresLimits(long source, long expected)
    {
        Assert.AreEqual(expected, AzureVhd.VirtualSizeFor(source));
        Assert.AreEqual(0, expected % MiB);
        Assert.AreEqual(expected + 512, AzureVhd.FileLengthFor(expected));
        Assert.IsNull(AzureVhd.Refusal("'x'", source));
    }

    [TestMethod]
    [DataRow(2040L * 1024 * MiB + 1)]
    [DataRow(2041L * 1024 * MiB)]
    [DataRow(32L * 1024 * 1024 * MiB)]  // Azure's maximum is beyond what a VHD can hold
    [DataRow(long.MaxValue)]
    [DataRow(-1L)]
    public void AzureRefusesWhatAVhdCannotHold(long source)
    {
        Assert.IsNull(AzureVhd.VirtualSizeFor(source));
        Assert.AreEqual($"'x' is {source} bytes; an Azure VHD holds at most 2190433320960 bytes (2040 GiB: the VHD format's limit, below Azure's 32 TiB for uploads)",
            AzureVhd.Refusal("'x'", source));
    }

    /// <summary>The VHD limit the step applies is qemu's: qemu-img creates a fixed VHD of 2040 GiB and refuses one MiB more.</summary>
    [TestMethod]
    [RequiresQemu]
    public void TheVhdLimitIsQemusAndTheFileIsSizePlusFooter()
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on", tmp["max.vhd"], AzureVhd.MaximumVirtualSize.ToString());
        Assert.AreEqual(AzureVhd.FileLengthFor(AzureVhd.MaximumVirtualSize), new FileInfo(tmp["max.vhd"]).Length);
        File.Delete(tmp["max.vhd"]);
        var over = QemuOracle.Img("create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on", tmp["over.vhd"], (AzureVhd.MaximumVirtualSize + MiB).ToString());
        Assert.AreEqual(1, over.ExitCode, over.ToString());
        StringAssert.Contains(over.StdErr, "The image size is too large for file format 'vpc'");

        QemuOracle.ImgOk("create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on", tmp["a.vhd"], "40M");
        Assert.AreEqual(AzureVhd.FileLengthFor(40 * MiB), new FileInfo(tmp["a.vhd"]).Length);
        Assert.AreEqual(40 * MiB, Info("-f", "vpc", tmp["a.vhd"]).GetProperty("virtual-size").GetInt64(), "force_size: the exact size, no CHS rounding");
    }

    [TestMethod]
    public void AnAzureVhdTooLargeIsRefusedAtValidateTimeAtItsFromLine()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
              - id: big
                kind: resize
                from: base
                size: +2040G
              - id: azure
                kind: azure-vhd
                from: big
              - id: fits
                kind: azure-vhd
                from: base
            """);
        var errors = f.Errors();
        var size = errors.Where(e => e.Message.Contains("Azure VHD holds at most")).ToList();
        Assert.HasCount(1, size, string.Join("\n", errors));
        Assert.AreEqual((11, 11), (size[0].Line, size[0].Column), size[0].ToString());
        Assert.AreEqual($"step 'azure': 'from: big' is {2040L * 1024 * MiB + MiB} bytes; an Azure VHD holds at most 2190433320960 bytes (2040 GiB: the VHD format's limit, below Azure's 32 TiB for uploads)", size[0].Message);
        AssertDriverRefusal(errors, "vpc", [(10, 11), (13, 11)]);
    }

    [TestMethod]
    public void HyperVSettingsAreCheckedWhereTheyAreWritten()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
              - id: hv
                kind: hyperv-vhdx
                from: base
                logical-sector-size: 1024
                physical-sector-size: 4096
                options:
                  block_size: 2M
            """);
        var errors = f.Errors();
        var sector = errors.Single(e => e.Message.Contains("sector size"));
        Assert.AreEqual((8, 26), (sector.Line, sector.Column), sector.ToString());
        Assert.AreEqual("step 'hv': 'logical-sector-size': 1024 is not a VHDX sector size (512 or 4096)", sector.Message);
        var option = errors.Single(e => e.Message.Contains("block_size"));
        Assert.AreEqual((11, 7), (option.Line, option.Column), option.ToString());
        Assert.AreEqual("step 'hv': option 'block_size' is set by the step's parameter 'block-size'", option.Message);
        AssertDriverRefusal(errors, "vhdx", [(6, 11)]);
    }

    [TestMethod]
    [DataRow("3M")]
    [DataRow("512k")]
    [DataRow("512M")]
    public void AHyperVBlockSizeTheSpecificationDoesNotAllowIsRefused(string size)
    {
        using var f = new RecipeFixture($"steps:\n  - id: base\n    kind: create\n    size: 1M\n  - id: hv\n    kind: hyperv-vhdx\n    from: base\n    block-size: {size}\n");
        var e = f.Errors().Single(x => x.Message.Contains("block-size"));
        Assert.AreEqual((8, 17), (e.Line, e.Column), e.ToString());
        StringAssert.EndsWith(e.Message, " is not a VHDX block size (a power of two from 1M to 256M)");
    }

    /// <summary>Without the driver the step is refused by name at its kind line; with it, not at all.</summary>
    private static void AssertDriverRefusal(IReadOnlyList<Model.RecipeError> errors, string format, (int, int)[] places)
    {
        var refused = errors.Where(e => e.Message.EndsWith($"format '{format}' is not supported by this engine yet")).Select(e => (e.Line, e.Column)).ToArray();
        if (HasDriver(format))
            Assert.IsEmpty(refused, string.Join("\n", errors));
        else
            CollectionAssert.AreEqual(places, refused, string.Join("\n", errors));
    }

    private const string AzureRecipe = """
        variables:
          size: 1M
          offset: 0
        steps:
          - id: base
            kind: create
            size: ${size}
          - id: data
            kind: write
            from: base
            offset: ${offset}
            pattern: 0x5a
            length: 4096
          - id: disk
            kind: convert
            from: data
            format: qcow2
          - id: azure
            kind: azure-vhd
            from: disk
        """;

    /// <summary>
    /// An Azure VHD from a qcow2 of 40000000 bytes (40 MB, 38.15 MiB): a fixed VHD of 39 MiB, file 39 MiB + 512, exactly what qemu-img
    /// writes for the same disk padded to 40 MiB (once the footer's timestamp, UUID and checksum are set aside),
    /// reading as the source followed by zeros; the same bytes in another output directory.
    /// </summary>
    [TestMethod]
    [RequiresQemu]
    public void AnAzureVhdIsTheFixedVhdOfWholeMiBThatQemuWritesForThePaddedDisk()
    {
        using var f = new RecipeFixture(AzureRecipe);
        var set = new Dictionary<string, string> { ["size"] = "40000000", ["offset"] = (40000000 - 4096).ToString() };
        if (!HasDriver("vpc"))
        {
            CollectionAssert.AreEqual(new[] { "step 'azure': format 'vpc' is not supported by this engine yet" }, f.Errors(set).Select(e => e.Message).ToArray());
            return;
        }
        var plan = new List<RecipeEvent>();
        new RecipeRunner(f.Load(set), new RunOptions { OutputDir = f.OutputDir, Sinks = [new ListSink(plan)] }).Plan();
        StringAssert.Contains(plan.Single(e => e.Step == "azure").Message,
            "; writes a fixed VHD of 39 MiB (40894464 bytes; file 40894976 bytes) from 40000000 bytes, rounded up to whole MiB");

        var run = f.Run(set: set);
        Assert.IsTrue(run.Succeeded, string.Join("; ", run.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        string vhd = f.Out("azure.vhd");
        Assert.AreEqual("vpc", run["azure"].Format);
        Assert.AreEqual(39 * MiB, run["azure"].VirtualSize);
        Assert.AreEqual(39 * MiB + 512, new FileInfo(vhd).Length, "file = virtual size + footer");
        var info = Info("-f", "vpc", vhd);
        Assert.AreEqual(39 * MiB, info.GetProperty("virtual-size").GetInt64());
        Assert.AreEqual("raw", Info(vhd).GetProperty("format").GetString(), "a fixed VHD probes as raw in qemu, as Azure's uploads expect: data first");
        Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "qcow2", "-F", "vpc", f.Out("disk.qcow2"), vhd).ExitCode, "the source, then zeros");
        QemuOracle.IoOk("-f", "vpc", "-c", "read -P 0x5a 39995904 4096", "-c", $"read -P 0 40000000 {39 * MiB - 40000000}", vhd);

        // qemu-img's own Azure recipe: pad the disk to whole MiB, convert to a fixed VHD with force_size.
        File.Copy(f.Out("data.raw"), f["padded.raw"]);
        QemuOracle.ImgOk("resize", "-q", "-f", "raw", f["padded.raw"], (39 * MiB).ToString());
        QemuOracle.ImgOk("convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed,force_size=on", f["padded.raw"], f["qemu.vhd"]);
        CollectionAssert.AreEqual(MaskFooter(File.ReadAllBytes(f["qemu.vhd"])), MaskFooter(File.ReadAllBytes(vhd)));

        string other = Path.Combine(f.Dir, "out2");
        Assert.IsTrue(f.Run(set: set, outputDir: other).Succeeded);
        CollectionAssert.AreEqual(File.ReadAllBytes(vhd), File.ReadAllBytes(Path.Combine(other, "azure.vhd")), "reproducible: identity and time come from the step's key");

        var again = f.Run(set: set);
        CollectionAssert.Contains(again.Skipped(), "azure");
    }

    /// <summary>The footer's timestamp (offset 24), checksum (64) and UUID (68) are qemu's random fields.</summary>
    private static byte[] MaskFooter(byte[] image)
    {
        var footer = image.AsSpan(image.Length - 512);
        footer.Slice(24, 4).Clear();
        footer.Slice(64, 4 + 16).Clear();
        return image;
    }

    [TestMethod]
    [RequiresQemu]
    public void ASmallDiskBecomesTwentyMiBAndAnExistingImageTooLargeFailsTheRunAtItsStep()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: disk
                kind: image
                file: images/disk.qcow2
              - id: azure
                kind: azure-vhd
                from: disk
            """);
        Directory.CreateDirectory(f["images"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", f["images/disk.qcow2"], "1M");
        if (!HasDriver("vpc"))
        {
            Assert.AreEqual("step 'azure': format 'vpc' is not supported by this engine yet", f.Errors().Single().Message);
            return;
        }
        var run = f.Run();
        Assert.IsTrue(run.Succeeded, string.Join("; ", run.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        Assert.AreEqual(20 * MiB, Info("-f", "vpc", f.Out("azure.vhd")).GetProperty("virtual-size").GetInt64());
        Assert.AreEqual(20 * MiB + 512, new FileInfo(f.Out("azure.vhd")).Length);
        StringAssert.Contains(run["azure"].Note, "grown to Azure's 20 MiB minimum");

        // An existing image's size is read at validate time too: refused before anything runs.
        QemuOracle.ImgOk("resize", "-q", "-f", "qcow2", f["images/disk.qcow2"], "2041G");
        var e = f.Errors().Single();
        Assert.AreEqual((7, 11), (e.Line, e.Column), e.ToString());
        StringAssert.StartsWith(e.Message, $"step 'azure': 'from: disk' is {2041L * 1024 * MiB} bytes; an Azure VHD holds at most");
    }

    /// <summary>
    /// A size the recipe does not fix (the commit of an existing overlay into its backing file) is checked when the step
    /// runs: the step fails with the reason, writes nothing, and the steps before it stand (the commit of an existing
    /// image is named .img: its format is known only when it runs).
    /// </summary>
    [TestMethod]
    [RequiresQemu]
    public void ASizeKnownOnlyAtRunTimeIsRefusedWhenTheStepRuns()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: top
                kind: image
                file: images/top.qcow2
              - id: merged
                kind: commit
                from: top
              - id: azure
                kind: azure-vhd
                from: merged
            """);
        Directory.CreateDirectory(f["images"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", f["images/base.qcow2"], "2041G");
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", f["images/top.qcow2"]);
        if (!HasDriver("vpc"))
        {
            Assert.AreEqual("step 'azure': format 'vpc' is not supported by this engine yet", f.Errors().Single().Message);
            return;
        }
        Assert.IsEmpty(f.Errors(), "the commit's size is not known before it runs");
        var run = f.Run();
        Assert.IsFalse(run.Succeeded);
        Assert.AreEqual(StepStatus.Ran, run["merged"].Status);
        Assert.AreEqual(StepStatus.Failed, run["azure"].Status);
        Assert.AreEqual($"'merged.img' is {2041L * 1024 * MiB} bytes; an Azure VHD holds at most 2190433320960 bytes (2040 GiB: the VHD format's limit, below Azure's 32 TiB for uploads)",
            run["azure"].Reason);
        Assert.IsFalse(File.Exists(f.Out("azure.vhd")));
    }

    /// <summary>
    /// A Hyper-V VHDX: 1 MiB blocks by default (qemu-img reports the block size as cluster_size), the source's content,
    /// reproducible; changing a setting reruns the step; a 4096-byte logical sector size reads back through the engine
    /// (qemu 7.2 opens only 512-byte logical sectors).
    /// </summary>
    [TestMethod]
    [RequiresQemu]
    public void AHyperVVhdxHasTheRecommendedBlockSizeAndTheSourcesContent()
    {
        using var f = new RecipeFixture("""
            variables:
              block: 1M
            steps:
              - id: base
                kind: create
                size: 5000000
              - id: data
                kind: write
                from: base
                offset: 3M
                pattern: 0xa5
                length: 64k
              - id: hyperv
                kind: hyperv-vhdx
                from: data
                block-size: ${block}
              - id: hyperv-4k
                kind: hyperv-vhdx
                from: data
                logical-sector-size: 4096
                subformat: fixed
            """);
        var set = new Dictionary<string, string> { ["block"] = "1M" };
        if (!HasDriver("vhdx"))
        {
            CollectionAssert.AreEqual(new[] { "step 'hyperv': format 'vhdx' is not supported by this engine yet", "step 'hyperv-4k': format 'vhdx' is not supported by this engine yet" },
                f.Errors(set).Select(e => e.Message).ToArray());
            return;
        }
        var run = f.Run(set: set);
        Assert.IsTrue(run.Succeeded, string.Join("; ", run.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        string vhdx = f.Out("hyperv.vhdx");
        var info = Info("-f", "vhdx", vhdx);
        Assert.AreEqual(5000192L, info.GetProperty("virtual-size").GetInt64(), "whole 512-byte sectors");
        Assert.AreEqual(MiB, info.GetProperty("cluster-size").GetInt64(), "1 MiB blocks");
        QemuOracle.ImgOk("check", "-f", "vhdx", vhdx);
        Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "raw", "-F", "vhdx", f.Out("data.raw"), vhdx).ExitCode);
        Assert.AreEqual(5001216L, run["hyperv-4k"].VirtualSize, "whole 4096-byte sectors");
        Assert.AreEqual("vhdx", run["hyperv-4k"].Format);

        string other = Path.Combine(f.Dir, "out2");
        Assert.IsTrue(f.Run(set: set, outputDir: other).Succeeded);
        foreach (string name in new[] { "hyperv.vhdx", "hyperv-4k.vhdx" })
            CollectionAssert.AreEqual(File.ReadAllBytes(f.Out(name)), File.ReadAllBytes(Path.Combine(other, name)), name);

        var events = new List<RecipeEvent>();
        var rerun = f.Run(set: new Dictionary<string, string> { ["block"] = "2M" }, events: events);
        CollectionAssert.AreEqual(new[] { "hyperv" }, rerun.Ran());
        StringAssert.Contains(events.Single(e => e.Type == "start" && e.Step == "hyperv").Message, "parameters changed");
        Assert.AreEqual(2 * MiB, Info("-f", "vhdx", vhdx).GetProperty("cluster-size").GetInt64());
    }

    private sealed class ListSink(List<RecipeEvent> events) : IRecipeEventSink
    {
        public void OnEvent(RecipeEvent e)
        {
            lock (events) events.Add(e);
        }
    }
}
