using System.Text.Json;
using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Execution;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>Outputs read back through qemu-img / qemu-io, the oracle.</summary>
[TestClass]
public sealed class OracleTests
{
    private static JsonElement Info(string path) => JsonDocument.Parse(QemuOracle.ImgOk("info", "--output=json", path)).RootElement;

    [TestMethod]
    [RequiresQemu]
    public void RawPipelineOutputsReadAsExpectedThroughQemu()
    {
        using var f = IncrementalTests.NewPipeline();
        Assert.IsTrue(f.Run().Succeeded);
        var info = Info(f.Out("final.raw"));
        Assert.AreEqual("raw", info.GetProperty("format").GetString());
        Assert.AreEqual(9L << 20, info.GetProperty("virtual-size").GetInt64());
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0x42 3M 64k", "-c", "read -P 0 0 1M", f.Out("side.raw"));
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0 8M 1M", f.Out("final.raw"));
        var bytes = File.ReadAllBytes(f.Out("final.raw"));
        Assert.AreEqual("layer one\n", System.Text.Encoding.ASCII.GetString(bytes, 1 << 20, 10));
        Assert.AreEqual("layer two\n", System.Text.Encoding.ASCII.GetString(bytes, 2 << 20, 10));
        // The measure gate agrees with qemu-img measure.
        var measured = JsonDocument.Parse(QemuOracle.ImgOk("measure", "--output=json", "-f", "raw", "-O", "raw", f.Out("grown.raw"))).RootElement;
        var run = f.Run();
        Assert.AreEqual(measured.GetProperty("required").GetInt64(), run["gate"].MeasuredRequired);
        Assert.AreEqual(measured.GetProperty("fully-allocated").GetInt64(), run["gate"].MeasuredFullyAllocated);
    }

    [TestMethod]
    [RequiresQemu]
    public void ExampleRawRecipeRunsAndItsImageIsRight()
    {
        using var tmp = new TempDir();
        string recipe = CopyExamples(tmp, "raw-disk.yaml");
        var result = new RecipeRunner(Loading.RecipeLoader.Load(recipe), new RunOptions { OutputDir = tmp["out"] }).Run();
        Assert.IsTrue(result.Succeeded, string.Join("; ", result.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        string disk = Path.Combine(tmp["out"], "raw-disk.img");
        Assert.AreEqual(48L << 20, Info(disk).GetProperty("virtual-size").GetInt64());
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0x55 510 1", "-c", "read -P 0xaa 511 1", "-c", "read -P 0 4M 4k", "-c", "read -P 0xa5 4100k 60k", disk);
        Assert.AreEqual(result["disk"].Hash, Cache.ContentHasher.HashFile(disk));
    }

    [TestMethod]
    [RequiresQemu]
    public void LayeredExampleBuildsCheckedQcow2AndRawThatReadTheSame()
    {
        using var tmp = new TempDir();
        string recipe = CopyExamples(tmp, "layered.yaml");
        var run = new RecipeRunner(Loading.RecipeLoader.Load(recipe), new RunOptions { OutputDir = tmp["out"], Jobs = 2 }).Run();
        Assert.IsTrue(run.Succeeded, string.Join("; ", run.Steps.Select(s => $"{s.Id}: {s.Status} {s.Reason}")));
        string Out(string n) => Path.Combine(tmp["out"], n);

        foreach (var step in run.Steps.Where(s => s.Format == "qcow2" && s.Output is not null))
            QemuOracle.ImgOk("check", "-f", "qcow2", Out(step.Output!));
        Assert.AreEqual("base-boot.raw", Info(Out("os-layer.qcow2")).GetProperty("backing-filename").GetString());
        Assert.AreEqual("os-files.qcow2", Info(Out("app-layer.qcow2")).GetProperty("backing-filename").GetString());
        Assert.AreEqual("base-boot.raw", Info(Out("merged.qcow2")).GetProperty("backing-filename").GetString(), "the commit's output is layer one, with layer two in it");
        Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "raw", "-F", "qcow2", Out("layered.raw"), Out("layered.qcow2")).ExitCode);
        Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "raw", "-F", "qcow2", Out("layered.raw"), Out("layered-zstd.qcow2")).ExitCode, "the compressed image reads the same");
        Assert.AreEqual("zstd", Info(Out("layered-zstd.qcow2")).GetProperty("format-specific").GetProperty("data").GetProperty("compression-type").GetString());
        Assert.AreEqual(0, QemuOracle.Img("compare", "-F", "raw", Out("app-data.qcow2"), Out("layered.raw")).ExitCode, "the layered chain reads as the flattened image");
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0x55 510 1", "-c", "read -P 0x5a 16M 256k", Out("layered.raw"));
        // the VMDKs: a VMware-layout stream and a descriptor with its flat extent, one output of two files
        foreach (string vmdk in new[] { "layered.vmdk", "layered-flat.vmdk" })
        {
            QemuOracle.ImgOk("check", "-f", "vmdk", Out(vmdk));
            Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "raw", "-F", "vmdk", Out("layered.raw"), Out(vmdk)).ExitCode, vmdk);
        }
        // the Azure VHD: fixed, the disk's 64 MiB exactly (a whole MiB), the footer after it; probes as raw as in qemu
        Assert.AreEqual(64L << 20, JsonDocument.Parse(QemuOracle.ImgOk("info", "--output=json", "-f", "vpc", Out("layered-azure.vhd"))).RootElement.GetProperty("virtual-size").GetInt64());
        Assert.AreEqual((64L << 20) + 512, new FileInfo(Out("layered-azure.vhd")).Length);
        Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "raw", "-F", "vpc", Out("layered.raw"), Out("layered-azure.vhd")).ExitCode);
        // the Hyper-V VHDX: 1 MiB blocks (qemu-img calls the block size cluster_size), checked, the same content
        QemuOracle.ImgOk("check", "-f", "vhdx", Out("layered-hyperv.vhdx"));
        Assert.AreEqual(1L << 20, Info(Out("layered-hyperv.vhdx")).GetProperty("cluster-size").GetInt64());
        Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "raw", "-F", "vhdx", Out("layered.raw"), Out("layered-hyperv.vhdx")).ExitCode);
        var flatStep = run.Steps.Single(s => s.Id == "disk-vmdk-flat");
        CollectionAssert.AreEqual(new[] { "layered-flat.vmdk", "layered-flat-flat.vmdk" }, flatStep.OutputFiles.Select(Path.GetFileName).ToArray());
        var bytes = File.ReadAllBytes(Out("layered.raw"));
        string osRelease = File.ReadAllText(Path.Combine(tmp.Path, "content", "os-release.txt"));
        Assert.AreEqual(osRelease, System.Text.Encoding.ASCII.GetString(bytes, 1 << 20, osRelease.Length));
        // Inputs untouched: the base still has no layer data.
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0 1M 64k", Out("base-boot.raw"));

        var again = new RecipeRunner(Loading.RecipeLoader.Load(recipe), new RunOptions { OutputDir = tmp["out"] }).Run();
        Assert.IsTrue(again.Steps.All(s => s.Status == StepStatus.Skipped), string.Join(", ", again.Steps.Where(s => s.Status != StepStatus.Skipped).Select(s => s.Id)));

        var elsewhere = new RecipeRunner(Loading.RecipeLoader.Load(recipe), new RunOptions { OutputDir = tmp["out2"], Jobs = 1 }).Run();
        foreach (var s in run.Steps.Where(s => s.Output is not null))
            foreach (string file in s.OutputFiles.Select(f => Path.GetFileName(f)))
                CollectionAssert.AreEqual(File.ReadAllBytes(Out(file)), File.ReadAllBytes(Path.Combine(tmp["out2"], file)), file);
        Assert.IsTrue(elsewhere.Succeeded);
    }

    [TestMethod]
    [RequiresQemu]
    public void CompressedExampleBuildsZlibAndZstdQcow2ThatReadAsTheSource()
    {
        using var tmp = new TempDir();
        string recipe = CopyExamples(tmp, "compressed.yaml");
        var run = new RecipeRunner(Loading.RecipeLoader.Load(recipe), new RunOptions { OutputDir = tmp["out"] }).Run();
        Assert.IsTrue(run.Succeeded, string.Join("; ", run.Steps.Select(s => $"{s.Id}: {s.Status} {s.Reason}")));
        foreach (var (file, type) in new[] { ("compressed-zlib.qcow2", "zlib"), ("compressed-zstd.qcow2", "zstd") })
        {
            string path = Path.Combine(tmp["out"], file);
            QemuOracle.ImgOk("check", "-f", "qcow2", path);
            Assert.AreEqual(type, Info(path).GetProperty("format-specific").GetProperty("data").GetProperty("compression-type").GetString());
            Assert.AreEqual(0, QemuOracle.Img("compare", "-F", "raw", path, Path.Combine(tmp["out"], "data.raw")).ExitCode, file);
            Assert.IsLessThan(4L << 20, new FileInfo(path).Length, $"{file} holds 4 MiB of one byte value, compressed");
        }
    }

    [TestMethod]
    [RequiresQemu]
    public void ApplyCopiesOnlyWhatTheDiffAllocates()
    {
        using var f = new RecipeFixture(DiffRecipe + """
              - id: applied
                kind: apply
                from: other
                image: diff
            """);
        var r = f.Run();
        Assert.IsTrue(r.Succeeded, string.Join("; ", r.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0x11 0 1M", "-c", "read -P 0x22 1M 64k", "-c", "read -P 0x11 1088k 2880k", f.Out("applied.raw"));
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0x11 0 4M", f.Out("other.raw"));
    }

    [TestMethod]
    [RequiresQemu]
    public void ApplyTakesAPrebuiltDiffFromTheRepositoryWhoseBackingIsElsewhere()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 2M
              - id: patched
                kind: apply
                from: base
                image-file: diffs/patch.qcow2
                image-format: qcow2
            """);
        // Made by qemu-img over a backing file that does not exist where the recipe runs.
        Directory.CreateDirectory(f["diffs"]);
        QemuOracle.ImgOk("create", "-f", "raw", f["diffs/elsewhere.raw"], "2M");
        QemuOracle.ImgOk("create", "-f", "qcow2", "-b", "elsewhere.raw", "-F", "raw", f["diffs/patch.qcow2"]);
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 0x77 512k 4k", "-c", "write -z 1M 64k", f["diffs/patch.qcow2"]);
        File.Delete(f["diffs/elsewhere.raw"]);
        var r = f.Run();
        Assert.IsTrue(r.Succeeded, string.Join("; ", r.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0 0 512k", "-c", "read -P 0x77 512k 4k", "-c", "read -P 0 516k 1532k", f.Out("patched.raw"));
        // Changing the diff reruns the apply.
        QemuOracle.ImgOk("create", "-f", "raw", f["diffs/elsewhere.raw"], "2M");
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 0x78 512k 4k", f["diffs/patch.qcow2"]);
        File.Delete(f["diffs/elsewhere.raw"]);
        var again = f.Run();
        CollectionAssert.AreEqual(new[] { "patched" }, again.Ran());
        StringAssert.Contains(again["patched"].Reason, "input 'image-file' changed");
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0x78 512k 4k", f.Out("patched.raw"));
    }

    [TestMethod]
    [RequiresQemu]
    public void RebaseKeepsWhatTheImageReads()
    {
        using var f = new RecipeFixture(DiffRecipe + """
              - id: moved
                kind: rebase
                from: diff
                backing: other
              - id: flat
                kind: rebase
                from: diff
              - id: grown
                kind: resize
                from: diff
                size: +2M
            """);
        var r = f.Run();
        Assert.IsTrue(r.Succeeded, string.Join("; ", r.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        QemuOracle.ImgOk("check", f.Out("moved.qcow2"));
        Assert.AreEqual("other.raw", Info(f.Out("moved.qcow2")).GetProperty("backing-filename").GetString());
        Assert.AreEqual(0, QemuOracle.Img("compare", f.Out("moved.qcow2"), f.Out("diff.qcow2")).ExitCode, "safe rebase keeps what the image reads");
        Assert.IsFalse(Info(f.Out("flat.qcow2")).TryGetProperty("backing-filename", out _));
        Assert.AreEqual(0, QemuOracle.Img("compare", f.Out("flat.qcow2"), f.Out("diff.qcow2")).ExitCode);
        QemuOracle.ImgOk("check", f.Out("grown.qcow2"));
        Assert.AreEqual(6L << 20, Info(f.Out("grown.qcow2")).GetProperty("virtual-size").GetInt64());
        Assert.AreEqual(4L << 20, Info(f.Out("diff.qcow2")).GetProperty("virtual-size").GetInt64(), "the input is not resized");
        QemuOracle.IoOk("-f", "qcow2", "-c", "read -P 0x22 1M 64k", "-c", "read -P 0 4M 2M", f.Out("grown.qcow2"));
    }

    [TestMethod]
    public void CheckStepFailsClearlyWhereTheFormatHasNoCheckAndPassesWhereItHas()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
              - id: verify
                kind: check
                from: base
            """);
        var r = f.Run();
        Assert.AreEqual(StepStatus.Failed, r["verify"].Status);
        Assert.AreEqual("format 'raw' of 'base.raw' does not support checks", r["verify"].Reason);
        f.WriteRecipe("""
            steps:
              - id: base
                kind: create
                format: qcow2
                size: 1M
              - id: verify
                kind: check
                from: base
            """);
        r = f.Run();
        using var dev = ImageOpener.Open(ImageContext.CreateDefault(), f.Out("base.qcow2"), new OpenOptions { Format = "qcow2" });
        if (dev.SupportsCheck)
            Assert.AreEqual(StepStatus.Ran, r["verify"].Status, r["verify"].Reason);
        else
            Assert.AreEqual("format 'qcow2' of 'base.qcow2' does not support checks", r["verify"].Reason);
    }

    private const string DiffRecipe = """
        steps:
          - id: base
            kind: create
            size: 4M
          - id: other
            kind: write
            from: base
            pattern: 0x11
            length: 4M
          - id: layer
            kind: overlay
            from: base
          - id: diff
            kind: write
            from: layer
            offset: 1M
            pattern: 0x22
            length: 64k

        """;

    /// <summary>Copies recipes/*.yaml and content/ into the scratch directory so outputs land there.</summary>
    private static string CopyExamples(TempDir tmp, string recipe)
    {
        string src = Path.Combine(AppContext.BaseDirectory, "recipes");
        foreach (var file in Directory.GetFiles(src, "*", SearchOption.AllDirectories))
        {
            string dst = Path.Combine(tmp.Path, Path.GetRelativePath(src, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
            File.Copy(file, dst);
        }
        return Path.Combine(tmp.Path, recipe);
    }

    [TestMethod]
    [RequiresQemu]
    public void SnapshotStepRecordsAReproducibleSnapshotThatQemuReadsAndReverts()
    {
        const string yaml = """
            steps:
              - id: base
                kind: create
                format: qcow2
                size: 4M
              - id: v1
                kind: write
                from: base
                pattern: 1
                length: 1M
              - id: snap
                kind: snapshot
                from: v1
                name: golden
                date: 1700000000
              - id: v2
                kind: write
                from: snap
                pattern: 2
                length: 64k
            """;
        using var a = new RecipeFixture(yaml);
        using var b = new RecipeFixture(yaml);
        var ra = a.Run();
        Assert.IsTrue(ra.Succeeded, string.Join("\n", ra.Steps.Select(s => s.Reason)));
        Assert.IsTrue(b.Run(jobs: 1).Succeeded);
        Assert.AreEqual(QemuOracle.Md5OfFile(a.Out("v2.qcow2")), QemuOracle.Md5OfFile(b.Out("v2.qcow2")), "same recipe, same bytes");

        string v2 = a.Out("v2.qcow2");
        QemuOracle.ImgOk("check", v2);
        string list = QemuOracle.ImgOk("snapshot", "-l", v2);
        StringAssert.Contains(list, "golden");
        StringAssert.Contains(list, "2023-11-14 22:13:20");
        // The snapshot holds v1's content; the active layer has the later write on top.
        QemuOracle.ImgOk("convert", "-l", "golden", "-O", "raw", v2, a.Out("golden.raw"));
        StringAssert.Contains(QemuOracle.ImgOk("compare", a.Out("golden.raw"), a.Out("v1.qcow2")), "Images are identical.");
        QemuOracle.IoOk("-f", "qcow2", "-c", "read -P 2 0 64k", "-c", "read -P 1 64k 960k", v2);
        QemuOracle.ImgOk("snapshot", "-a", "golden", v2);
        QemuOracle.IoOk("-f", "qcow2", "-c", "read -P 1 0 1M", v2);
        var again = a.Run();
        CollectionAssert.AreEqual(new[] { "v2" }, again.Ran(), "v2.qcow2 was changed by qemu-img: only its step reruns");
    }
}
