using System.Security.Cryptography;
using System.Text.Json;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Tests.RemoteCache;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests.Artifacts;

/// <summary>
/// Outputs that are not disk images (archives, checksum lists, packages) go through the runner as images do: keyed,
/// hashed, written under a temporary name and renamed, skipped when up to date, rebuilt when changed, pruned, cached
/// remotely and reported; and they are never opened as images.
/// </summary>
[TestClass]
public sealed class ArtifactRunTests
{
    internal const string Pipeline = """
        steps:
          - id: disk
            kind: create
            size: 4M
          - id: data
            kind: write
            from: disk
            pattern: 0x5a
            offset: 1M
            length: 1M
          - id: zst
            kind: archive
            from: data
            type: zstd
          - id: gz
            kind: archive
            from: zst
            type: gzip
            level: 9
          - id: sums
            kind: checksums
            outputs: [data, zst, gz]
        """;

    private static string Reasons(RunResult r) => string.Join("; ", r.Steps.Select(s => $"{s.Id}: {s.Reason}"));

    [TestMethod]
    [RequiresTool("zstd")]
    [RequiresTool("sha256sum")]
    public void ArtifactsAreBuiltNamedReportedAndCheckableByTheUsualTools()
    {
        using var f = new RecipeFixture(Pipeline);
        var r = f.Run();
        Assert.IsTrue(r.Succeeded, Reasons(r));
        Assert.AreEqual("data.raw.zst", r["zst"].Output, "an archive is named after what it compresses");
        Assert.AreEqual("data.raw.zst.gz", r["gz"].Output, "an archive of an artifact too");
        Assert.AreEqual("SHA256SUMS", r["sums"].Output);
        foreach (var id in new[] { "zst", "gz", "sums" })
        {
            Assert.IsTrue(r[id].Artifact, id);
            Assert.IsNull(r[id].Format, $"{id}: an artifact has no image format");
            Assert.IsNull(r[id].VirtualSize, id);
            Assert.AreEqual(new FileInfo(f.Out(r[id].Output!)).Length, r[id].FileSize, id);
        }
        Assert.IsFalse(r["data"].Artifact);

        var raw = File.ReadAllBytes(f.Out("data.raw"));
        var unzstd = ExternalTools.RunOk("zstd", f.OutputDir, "-dc", "data.raw.zst");
        Assert.AreEqual(Convert.ToHexString(SHA256.HashData(raw)), Sha256Of(f, "zstd", "data.raw.zst"));
        ExternalTools.RunOk("gzip", f.OutputDir, "-t", "data.raw.zst.gz");
        var check = ExternalTools.RunOk("sha256sum", f.OutputDir, "-c", "SHA256SUMS");
        StringAssert.Contains(check.StdOut, "data.raw: OK");
        StringAssert.Contains(check.StdOut, "data.raw.zst.gz: OK");
        Assert.AreEqual(0, unzstd.ExitCode);

        using var summary = JsonDocument.Parse(File.ReadAllText(r.SummaryPath!));
        var steps = summary.RootElement.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!);
        Assert.AreEqual("artifact", steps["sums"].GetProperty("output").GetProperty("type").GetString());
        Assert.AreEqual("image", steps["data"].GetProperty("output").GetProperty("type").GetString());
        Assert.AreEqual(JsonValueKind.Null, steps["zst"].GetProperty("output").GetProperty("format").ValueKind);
        Assert.IsFalse(Directory.EnumerateFileSystemEntries(f.OutputDir, ".*.partial").Any(), "no temporary file is left");
    }

    /// <summary>sha256 of a compressed file's content, decompressed by the tool (hex, upper case).</summary>
    private static string Sha256Of(RecipeFixture f, string tool, string name)
    {
        string plain = Path.Combine(f.Dir, name + ".plain");
        var r = QemuOracle.Run("/bin/sh", ["-c", $"{tool} -dc '{name}' > '{plain}'"], f.OutputDir);
        Assert.AreEqual(0, r.ExitCode, r.StdErr);
        return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(plain)));
    }

    [TestMethod]
    public void ASecondRunSkipsAndAChangedArtifactIsRebuiltWithWhatReadsIt()
    {
        using var f = new RecipeFixture(Pipeline);
        var first = f.Run();
        Assert.IsTrue(first.Succeeded, Reasons(first));
        var second = f.Run();
        Assert.AreEqual(0, second.Ran().Length, "ran: " + string.Join(", ", second.Ran()));
        Assert.AreEqual(first["gz"].Hash, second["gz"].Hash);

        // Touched only: content decides, nothing reruns.
        File.SetLastWriteTimeUtc(f.Out("data.raw.zst"), DateTime.UtcNow.AddMinutes(3));
        Assert.AreEqual(0, f.Run().Ran().Length);

        // Changed: the archive is rebuilt to the same bytes, so what reads it is up to date again.
        File.WriteAllBytes(f.Out("data.raw.zst"), [1, 2, 3]);
        var third = f.Run();
        Assert.IsTrue(third.Succeeded, Reasons(third));
        CollectionAssert.AreEqual(new[] { "zst" }, third.Ran());
        StringAssert.Contains(third["zst"].Reason, "was modified since it was built");
        Assert.AreEqual(first["zst"].Hash, third["zst"].Hash, "the same input gives the same bytes");
    }

    [TestMethod]
    public void ChangingTheCompressionRebuildsTheArchiveAndTheChecksums()
    {
        using var f = new RecipeFixture(Pipeline);
        Assert.IsTrue(f.Run().Succeeded);
        string before = File.ReadAllText(f.Out("SHA256SUMS"));
        f.WriteRecipe(Pipeline.Replace("level: 9", "level: 1"));
        var r = f.Run();
        Assert.IsTrue(r.Succeeded, Reasons(r));
        CollectionAssert.AreEquivalent(new[] { "gz", "sums" }, r.Ran());
        Assert.AreNotEqual(before, File.ReadAllText(f.Out("SHA256SUMS")));
    }

    [TestMethod]
    public void ArtifactsOfRemovedStepsArePruned()
    {
        using var f = new RecipeFixture(Pipeline);
        Assert.IsTrue(f.Run().Succeeded);
        f.WriteRecipe(Pipeline[..Pipeline.IndexOf("  - id: gz", StringComparison.Ordinal)]);
        var r = f.Run();
        Assert.IsTrue(r.Succeeded, Reasons(r));
        Assert.IsFalse(File.Exists(f.Out("data.raw.zst.gz")));
        Assert.IsFalse(File.Exists(f.Out("SHA256SUMS")));
        Assert.IsTrue(File.Exists(f.Out("data.raw.zst")));
    }

    [TestMethod]
    public void TwoOutputDirectoriesGetByteIdenticalArtifacts()
    {
        using var f = new RecipeFixture(Pipeline);
        Assert.IsTrue(f.Run().Succeeded);
        string other = f["elsewhere"];
        Assert.IsTrue(f.Run(outputDir: other, jobs: 1).Succeeded);
        foreach (var name in new[] { "data.raw.zst", "data.raw.zst.gz", "SHA256SUMS" })
            CollectionAssert.AreEqual(File.ReadAllBytes(f.Out(name)), File.ReadAllBytes(Path.Combine(other, name)), name);
    }

    [TestMethod]
    public void ArtifactsArePushedAndPulledAsFilesNeverOpenedAsImages()
    {
        using var f = new RecipeFixture(Pipeline);
        using var store = new MemoryStepCache();
        var a = RemoteRun.Run(f, f.OutputDir, RemoteRun.Both(store));
        Assert.IsTrue(a.Succeeded, Reasons(a));
        string b = f["agent-b"];
        var pulled = RemoteRun.Run(f, b, RemoteRun.Both(store));
        Assert.IsTrue(pulled.Succeeded, Reasons(pulled));
        CollectionAssert.AreEquivalent(new[] { "disk", "data", "zst", "gz", "sums" }, pulled.Pulled());
        Assert.IsTrue(pulled["sums"].Artifact);
        foreach (var name in new[] { "data.raw.zst", "data.raw.zst.gz", "SHA256SUMS" })
            CollectionAssert.AreEqual(File.ReadAllBytes(f.Out(name)), File.ReadAllBytes(Path.Combine(b, name)), name);
    }

    [TestMethod]
    [DataRow("  - id: c\n    kind: convert\n    from: zst\n    format: qcow2\n", "'from: zst' is a 'archive' step, whose output is a file, not a disk image; 'convert' reads images here")]
    [DataRow("  - id: m\n    kind: measure\n    from: data\n  - id: s2\n    kind: checksums\n    outputs: [m]\n    output: S2\n", "'outputs: m' is a 'measure' step, which produces no output")]
    [DataRow("  - id: x\n    kind: archive\n    from: data\n    type: gzip\n    level: 12\n", "gzip has levels 1 to 9 (got 12)")]
    [DataRow("  - id: x\n    kind: archive\n    from: data\n    type: lz4\n", "lz4")]
    [DataRow("  - id: o\n    kind: ova\n    from: data\n    name: my/vm\n", "name 'my/vm' has '/'")]
    [DataRow("  - id: o\n    kind: ova\n    from: data\n    memory: 1000000\n", "memory 1000000 bytes is not a whole number of MiB")]
    [DataRow("  - id: o\n    kind: ova\n    from: data\n    disks: [zst]\n", "'disks: zst' is a 'archive' step, whose output is a file, not a disk image")]
    [DataRow("  - id: v\n    kind: vagrant-box\n    from: data\n", "provider")]
    [DataRow("  - id: big\n    kind: create\n    size: 3T\n  - id: g\n    kind: gce-tar\n    from: big\n", "'from: big' is 3298534883328 bytes")]
    public void BrokenArtifactStepsAreRefusedBeforeAnythingRuns(string extra, string expected)
    {
        using var f = new RecipeFixture(Pipeline + "\n" + extra);
        var errors = f.Errors();
        Assert.IsTrue(errors.Any(e => e.ToString().Contains(expected, StringComparison.Ordinal)),
            $"expected '{expected}' in: {string.Join(" | ", errors)}");
        Assert.IsTrue(errors.All(e => e.Line > 0), "each error names its YAML line");
    }

    [TestMethod]
    public void AChecksumListNamesEveryFileOfAnImageOfSeveralFiles()
    {
        var engine = PairImageFormat.Context();
        using var f = new RecipeFixture("steps:\n  - id: disk\n    kind: create\n    format: pair\n    size: 1M\n  - id: sums\n    kind: checksums\n    outputs: [disk]\n    algorithm: sha512\n") { Engine = engine };
        var r = f.Run();
        Assert.IsTrue(r.Succeeded, Reasons(r));
        Assert.AreEqual("SHA512SUMS", r["sums"].Output);
        var lines = File.ReadAllLines(f.Out("SHA512SUMS"));
        Assert.HasCount(2, lines);
        Assert.AreEqual($"{Convert.ToHexStringLower(SHA512.HashData(File.ReadAllBytes(f.Out("disk.pair"))))}  disk.pair", lines[0]);
        Assert.AreEqual($"{Convert.ToHexStringLower(SHA512.HashData(File.ReadAllBytes(f.Out("disk-data.bin"))))}  disk-data.bin", lines[1]);
    }

    [TestMethod]
    public void APlanSaysWhatTheGceTarballWillHold()
    {
        using var f = new RecipeFixture("steps:\n  - id: disk\n    kind: create\n    size: 1100M\n  - id: gce\n    kind: gce-tar\n    from: disk\n");
        var events = new List<Events.RecipeEvent>();
        RemoteRun.Plan(f, f.OutputDir, null, events);
        var line = events.Single(e => e.Type == "plan" && e.Step == "gce").Message!;
        StringAssert.Contains(line, "writes a disk.raw of 2 GiB (2147483648 bytes) from 1153433600 bytes, rounded up to whole GiB");
        Assert.IsFalse(Directory.Exists(f.OutputDir) && Directory.EnumerateFiles(f.OutputDir).Any(), "a plan writes nothing");
    }
}
