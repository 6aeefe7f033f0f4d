using System.Text;
using System.Text.Json;
using ImageBuild.Oci.Registry;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests.RemoteCache;

/// <summary>
/// The step cache on a real registry (Debian's docker-registry on loopback): two output directories act as two
/// CI agents. Faults: TLS with basic auth (and a wrong password), the registry stopped while an agent pulls, a blob
/// corrupted in the registry's storage, a tag moved to another step's manifest.
/// </summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class RegistryStepCacheTests
{
    private static TestRegistry? s_registry;

    private static TestRegistry Registry => s_registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void Start(TestContext _) => s_registry = TestRegistry.Start(new TestRegistryOptions());

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    /// <summary>recipes/layered.yaml: overlays, commits, a gate, a two-file VMDK, platform images.</summary>
    [TestMethod]
    public void ASecondAgentWithAnEmptyOutputDirectoryBuildsNothing()
    {
        string recipe = Path.Combine(AppContext.BaseDirectory, "recipes", "layered.yaml");
        using var dir = new TempDir();
        string cache = Registry.Reference("layered/steps");
        var (code, stdout, stderr) = CliTests.Cli("run", recipe, "--output-dir", dir["a"], "--cache", cache, "--plain-http");
        Assert.AreEqual(0, code, stderr + stdout);
        int steps = Statuses(dir["a"]).Count;
        StringAssert.Contains(stdout, $"ok: {steps} ran, 0 pulled, 0 up to date, 0 failed, 0 not run, {steps} pushed to {cache} (");

        (code, stdout, stderr) = CliTests.Cli("run", recipe, "--output-dir", dir["b"], "--cache", cache, "--plain-http");
        Assert.AreEqual(0, code, stderr + stdout);
        StringAssert.Contains(stdout, $"ok: 0 ran, {steps} pulled, 0 up to date, 0 failed, 0 not run, 0 pushed to {cache} (");
        StringAssert.Contains(stdout, $"pulled  disk-vmdk-flat (convert) from {cache} (");
        Assert.IsTrue(Statuses(dir["b"]).Values.All(s => s == "pulled"));
        AssertSameOutputs(dir["a"], dir["b"]);

        (code, stdout, _) = CliTests.Cli("run", recipe, "--output-dir", dir["b"], "--cache", cache, "--plain-http");
        Assert.AreEqual(0, code);
        StringAssert.Contains(stdout, $"ok: 0 ran, 0 pulled, {steps} up to date, 0 failed, 0 not run, 0 pushed to {cache} (");
    }

    /// <summary>Two agents building and pushing the same steps at once both succeed and leave one consistent entry per key.</summary>
    [TestMethod]
    public void TwoAgentsPushingTheSameKeysAtOnceBothSucceed()
    {
        using var f = IncrementalTests.NewPipeline();
        string cache = Registry.Reference("race/steps");
        var settings = new StepCacheSettings { To = cache, PlainHttp = true };
        var runs = new[] { f.OutputDir, f["agent-b"] }.AsParallel().WithDegreeOfParallelism(2).Select(dir => Run(f, dir, settings)).ToList();
        foreach (var (result, events) in runs)
        {
            Assert.IsTrue(result.Succeeded, Text(events));
            Assert.AreEqual(0, events.Count(e => e.Type == "warning"), Text(events));
        }
        var c = Run(f, f["agent-c"], settings with { From = cache, To = null });
        Assert.AreEqual(7, c.Result.Pulled().Length, Text(c.Events));
        AssertSameOutputs(f.OutputDir, f["agent-c"]);
    }

    [TestMethod]
    public void TlsAndBasicAuthWithCredentialsFromAFileNeverPrinted()
    {
        const string password = "pw-never-printed-7f3a";
        using var registry = TestRegistry.Start(new TestRegistryOptions { Tls = true, Users = new Dictionary<string, string> { ["builder"] = password } });
        using var f = IncrementalTests.NewPipeline();
        string cache = registry.Reference("team/steps");
        File.WriteAllText(f["auth.json"], Auths(registry.Host, "builder", password));
        File.WriteAllText(f["wrong.json"], Auths(registry.Host, "builder", "not-" + password));
        var settings = new StepCacheSettings { From = cache, To = cache, CaFile = registry.CaFile, AuthFile = f["auth.json"] };

        var a = Run(f, f.OutputDir, settings);
        Assert.IsTrue(a.Result.Succeeded, Text(a.Events));
        Assert.AreEqual(0, a.Events.Count(e => e.Type == "warning"), Text(a.Events));
        var b = Run(f, f["agent-b"], settings);
        Assert.AreEqual(7, b.Result.Pulled().Length, Text(b.Events));
        AssertSameOutputs(f.OutputDir, f["agent-b"]);

        var wrong = Run(f, f["agent-c"], settings with { AuthFile = f["wrong.json"] });
        Assert.IsTrue(wrong.Result.Succeeded, "a refused login is a warning: the steps are built here");
        Assert.AreEqual(7, wrong.Result.Ran().Length);
        var warnings = wrong.Events.Where(e => e.Type == "warning").Select(e => e.Message!).ToList();
        Assert.IsTrue(warnings.Count > 0 && warnings.All(w => w.StartsWith(cache + ": ", StringComparison.Ordinal) && !w.Contains('\n')), string.Join("\n", warnings));
        Assert.IsFalse(Text(wrong.Events).Contains(password, StringComparison.Ordinal), "the password is never printed");

        var noCa = Run(f, f["agent-d"], settings with { CaFile = null, Required = true });
        Assert.IsFalse(noCa.Result.Succeeded, "without the CA the registry is not trusted");
        StringAssert.StartsWith(noCa.Result["base"].Reason, cache + ": cannot look up step 'base': ");
    }

    [TestMethod]
    public void ARegistryStoppedWhileAnAgentPullsLeavesItBuildingHereOrFailingWhenRequired()
    {
        using var registry = TestRegistry.Start(new TestRegistryOptions());
        using var f = IncrementalTests.NewPipeline();
        string cache = registry.Reference("flaky/steps");
        var settings = new StepCacheSettings { From = cache, To = cache, PlainHttp = true };
        Assert.IsTrue(Run(f, f.OutputDir, settings).Result.Succeeded);

        var b = Run(f, f["agent-b"], settings with { To = null }, stopOnFirstPull: registry);
        Assert.IsTrue(b.Result.Succeeded, Text(b.Events));
        CollectionAssert.AreEqual(new[] { "base" }, b.Result.Pulled(), Text(b.Events));
        Assert.AreEqual(6, b.Result.Ran().Length);
        // Asked once by each step running at the time (2 jobs), then not again; the client's retries are warnings of their own.
        var lookups = b.Events.Where(e => e.Type == "warning" && e.Step is not null).Select(e => e.Message!).ToList();
        Assert.IsTrue(lookups.Count is 1 or 2 && lookups.All(w => w.StartsWith(cache + ": cannot look up step '", StringComparison.Ordinal)), Text(b.Events));
        AssertSameOutputs(f.OutputDir, f["agent-b"]);

        var required = Run(f, f["agent-c"], settings with { To = null, Required = true });
        Assert.IsFalse(required.Result.Succeeded);
        StringAssert.StartsWith(required.Result["base"].Reason, cache + ": cannot look up step 'base': ");
        StringAssert.EndsWith(required.Result["base"].Reason, " (the step cache is required)");
        Assert.IsFalse(File.Exists(Path.Combine(f["agent-c"], "base.raw")));
    }

    [TestMethod]
    public void ACorruptedBlobIsDiscardedAndTheStepBuiltHere()
    {
        using var f = IncrementalTests.NewPipeline();
        string cache = Registry.Reference("corrupt/steps");
        var settings = new StepCacheSettings { From = cache, To = cache, PlainHttp = true };
        Assert.IsTrue(Run(f, f.OutputDir, settings).Result.Succeeded);
        var record = BuildState.Load(f.OutputDir).GetStep("final")!;
        string digest = BuildState.Load(f.OutputDir).GetRemoteDigest(record.OutputStamp!.Hash, "final.raw")!;
        // Blobs are stored once per registry, whatever the repository: the other tests' identical steps share this
        // one, so it is flipped back afterwards.
        string blob = Registry.BlobPath(digest);
        FlipMiddleByte(blob);
        (RunResult Result, List<RecipeEvent> Events) b2;
        try
        {
            b2 = Run(f, f["agent-b"], settings with { To = null });
        }
        finally
        {
            FlipMiddleByte(blob);
        }
        Assert.IsTrue(b2.Result.Succeeded, Text(b2.Events));
        CollectionAssert.AreEqual(new[] { "final" }, b2.Result.Ran(), Text(b2.Events));
        string warning = b2.Events.Single(e => e.Type == "warning").Message!;
        StringAssert.StartsWith(warning, cache + ": step 'final': ");
        StringAssert.EndsWith(warning, "; building it here");
        AssertSameOutputs(f.OutputDir, f["agent-b"]);
    }

    /// <summary>
    /// An entry whose blobs all match their digests but whose record gives another content hash than its layer
    /// restores (a record rewritten, or a layer swapped, by whoever can push): the hash computed while extracting
    /// is checked against the record, so the step is built here and nothing of the entry is kept.
    /// </summary>
    [TestMethod]
    public void AnEntryWhoseRecordDisagreesWithItsDigestValidLayerIsNotUsed()
    {
        using var f = IncrementalTests.NewPipeline();
        string cache = Registry.Reference("lying/steps");
        var settings = new StepCacheSettings { From = cache, To = cache, PlainHttp = true };
        Assert.IsTrue(Run(f, f.OutputDir, settings).Result.Succeeded);
        var state = BuildState.Load(f.OutputDir);
        var final = state.GetStep("final")!;
        string realHash = final.OutputStamp!.Hash, otherHash = state.GetStep("side")!.OutputStamp!.Hash;
        using (var client = new RegistryClient(OciReference.Parse(cache), new RegistryOptions { PlainHttp = true, Environment = _ => null }))
        {
            var store = new Oci.Artifacts.OciArtifactStore(client);
            string tag = OciStepCache.TagOf(final.Key);
            var found = store.FindAsync(tag, Oci.Artifacts.OciMediaTypes.StepArtifact, CancellationToken.None).GetAwaiter().GetResult()!;
            var config = StepRecordConfig.Parse(store.GetConfigAsync(found, 1 << 20, CancellationToken.None).GetAwaiter().GetResult(), tag);
            byte[] lying = (config with { Record = config.Record with { OutputStamp = config.Record.OutputStamp! with { Hash = otherHash } } }).ToJson();
            using var blob = new MemoryStream(lying);
            var descriptor = client.PushBlobAsync(blob, Oci.Artifacts.OciMediaTypes.StepRecord, CancellationToken.None, Oci.Artifacts.OciDigest.Of(lying), lying.Length).GetAwaiter().GetResult();
            byte[] manifest = (found.Manifest with { Config = found.Manifest.Config with { Digest = descriptor.Digest, Size = descriptor.Size } }).ToJson();
            client.PutManifestAsync(tag, manifest, Oci.Artifacts.OciMediaTypes.ImageManifest, CancellationToken.None).GetAwaiter().GetResult();
        }

        var b = Run(f, f["agent-b"], settings with { To = null });
        Assert.IsTrue(b.Result.Succeeded, Text(b.Events));
        CollectionAssert.AreEqual(new[] { "final" }, b.Result.Ran(), Text(b.Events));
        Assert.AreEqual($"{cache}: step 'final': file 'final.raw' has content hash {realHash}, its record says {otherHash}; building it here",
            b.Events.Single(e => e.Type == "warning").Message);
        AssertSameOutputs(f.OutputDir, f["agent-b"]);
        Assert.AreEqual(realHash, BuildState.Load(f["agent-b"]).GetStep("final")!.OutputStamp!.Hash);
    }

    [TestMethod]
    public void ATagMovedToAnotherStepsManifestIsNotUsed()
    {
        using var f = IncrementalTests.NewPipeline();
        string cache = Registry.Reference("moved/steps");
        var settings = new StepCacheSettings { From = cache, To = cache, PlainHttp = true };
        Assert.IsTrue(Run(f, f.OutputDir, settings).Result.Succeeded);
        var state = BuildState.Load(f.OutputDir);
        string baseKey = state.GetStep("base")!.Key, sideKey = state.GetStep("side")!.Key;
        using (var client = new RegistryClient(OciReference.Parse(cache), new RegistryOptions { PlainHttp = true, Environment = _ => null }))
        {
            var side = client.GetManifestAsync(OciStepCache.TagOf(sideKey), CancellationToken.None).GetAwaiter().GetResult()!;
            client.PutManifestAsync(OciStepCache.TagOf(baseKey), side.Content, side.MediaType, CancellationToken.None).GetAwaiter().GetResult();
        }

        var b = Run(f, f["agent-b"], settings with { To = null });
        Assert.IsTrue(b.Result.Succeeded, Text(b.Events));
        CollectionAssert.AreEqual(new[] { "base" }, b.Result.Ran(), Text(b.Events));
        Assert.AreEqual(6, b.Result.Pulled().Length);
        Assert.AreEqual($"{cache}: step 'base': its entry holds the record of key {sideKey}, not {baseKey}; building it here",
            b.Events.Single(e => e.Type == "warning").Message);
        AssertSameOutputs(f.OutputDir, f["agent-b"]);
    }

    /// <summary>A step entry is an ordinary OCI artifact: skopeo reads its manifest and copies it into an OCI layout.</summary>
    [TestMethod]
    [RequiresTool("skopeo")]
    public void SkopeoReadsAndCopiesAStepEntry()
    {
        using var f = IncrementalTests.NewPipeline();
        string cache = Registry.Reference("skopeo/steps");
        Assert.IsTrue(Run(f, f.OutputDir, new StepCacheSettings { To = cache, PlainHttp = true }).Result.Succeeded);
        var record = BuildState.Load(f.OutputDir).GetStep("final")!;
        string image = "docker://" + Registry.Host + "/skopeo/steps:" + OciStepCache.TagOf(record.Key);

        var raw = QemuOracle.Run(ExternalTools.Find("skopeo"), ["inspect", "--raw", "--tls-verify=false", image]);
        Assert.AreEqual(0, raw.ExitCode, raw.StdErr);
        using (var manifest = JsonDocument.Parse(raw.StdOut))
        {
            var root = manifest.RootElement;
            Assert.AreEqual("application/vnd.imagebuild.step.v1", root.GetProperty("artifactType").GetString());
            Assert.AreEqual("application/vnd.imagebuild.step.record.v1+json", root.GetProperty("config").GetProperty("mediaType").GetString());
            var layer = root.GetProperty("layers").EnumerateArray().Single();
            Assert.AreEqual("application/vnd.imagebuild.disk.raw.v1.tar+zstd", layer.GetProperty("mediaType").GetString());
            Assert.AreEqual("final.raw", layer.GetProperty("annotations").GetProperty("org.opencontainers.image.title").GetString());
            Assert.AreEqual(record.Key, root.GetProperty("annotations").GetProperty("dev.imagebuild.step.key").GetString());
            Assert.AreEqual("convert", root.GetProperty("annotations").GetProperty("dev.imagebuild.step.kind").GetString());
            Assert.IsTrue(layer.GetProperty("size").GetInt64() < 64 << 10, "a sparse 9 MiB image travels as its data");
        }
        var copy = QemuOracle.Run(ExternalTools.Find("skopeo"), ["copy", "--src-tls-verify=false", image, "oci:" + f["layout"] + ":final"]);
        Assert.AreEqual(0, copy.ExitCode, copy.StdErr);
    }

    private static (RunResult Result, List<RecipeEvent> Events) Run(RecipeFixture f, string outputDir, StepCacheSettings cache, TestRegistry? stopOnFirstPull = null)
    {
        var events = new List<RecipeEvent>();
        var sinks = new List<IRecipeEventSink> { new Collect(events, stopOnFirstPull) };
        var result = new RecipeRunner(f.Load(), new RunOptions { OutputDir = outputDir, Jobs = 2, Cache = cache, Sinks = sinks }).Run();
        return (result, events);
    }

    private static void FlipMiddleByte(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        s.Position = s.Length / 2;
        int b = s.ReadByte();
        s.Position = s.Length / 2;
        s.WriteByte((byte)(b ^ 0xFF));
    }

    private static string Auths(string host, string user, string password) =>
        JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [host] = new { auth = Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)) } } });

    private static Dictionary<string, string> Statuses(string outputDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outputDir, RecipeRunner.SummaryFileName)));
        return doc.RootElement.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!, s => s.GetProperty("status").GetString()!);
    }

    /// <summary>Every output file (not the bookkeeping) is in both directories with the same bytes.</summary>
    private static void AssertSameOutputs(string a, string b)
    {
        var names = Directory.GetFiles(a).Select(Path.GetFileName).Where(n => n != RecipeRunner.SummaryFileName).ToList();
        Assert.IsTrue(names.Count > 0);
        CollectionAssert.AreEquivalent(names, Directory.GetFiles(b).Select(Path.GetFileName).Where(n => n != RecipeRunner.SummaryFileName).ToList());
        foreach (string? name in names)
            Assert.IsTrue(File.ReadAllBytes(Path.Combine(a, name!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, name!))), name);
    }

    private static string Text(List<RecipeEvent> events)
    {
        lock (events) return string.Join("\n", events.Select(e => $"{e.Type} {e.Step}: {e.Message}"));
    }

    private sealed class Collect(List<RecipeEvent> events, TestRegistry? stopOnFirstPull) : IRecipeEventSink
    {
        public void OnEvent(RecipeEvent e)
        {
            lock (events) events.Add(e);
            if (e.Type == "pull") stopOnFirstPull?.Stop();
        }
    }
}
