using System.Net;
using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Registry;
using ImageBuild.Oci.Tests.Layers;
using ImageBuild.Oci.Tests.Registry;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Artifacts;

/// <summary>The store when transfers break: resumed downloads still extract; failed ones and failed pushes leave nothing.</summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class OciArtifactStoreFaultTests
{
    private static TestRegistry? s_registry;

    public TestContext TestContext { get; set; } = null!;

    private static TestRegistry Registry => s_registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void Start(TestContext _) => s_registry = TestRegistry.Start(new TestRegistryOptions());

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    private static (RegistryClient Client, FaultHandler Faults) Client(string repository, int maxAttempts = 3)
    {
        var options = new RegistryOptions
        {
            PlainHttp = true,
            ChunkSize = 1 << 20,
            MaxAttempts = maxAttempts,
            Environment = _ => null,
            InitialBackoff = TimeSpan.FromMilliseconds(1),
        };
        var faults = new FaultHandler(RegistryHttpHandler.Create(options));
        return (new RegistryClient(OciReference.Parse(Registry.Reference(repository)), options with { Handler = faults }), faults);
    }

    private async Task<(PushedArtifact Pushed, string Source)> Seed(LayerScratch s, RegistryClient client)
    {
        string src = s.SparseFile("disk.raw", 32L << 20, (0, LayerScratch.Random(3 << 20, 50)), (20L << 20, LayerScratch.Random(1 << 20, 51)));
        var artifact = new ArtifactToPush(OciMediaTypes.StepArtifact, OciMediaTypes.StepRecord, "{}"u8.ToArray(),
            [new ArtifactFile("disk.raw", src, OciMediaTypes.DiskLayer("raw"))]);
        return (await new OciArtifactStore(client).PushAsync(artifact, ["seed"], TestContext.CancellationToken), src);
    }

    [TestMethod]
    public async Task ADownloadCutMidwayResumesAndStillExtracts()
    {
        using var s = new LayerScratch();
        var (client, faults) = Client("faults/resume");
        using var _ = client;
        var (pushed, src) = await Seed(s, client);
        faults.Intercept = (request, n, send) =>
            request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.Contains("/blobs/", StringComparison.Ordinal) && n == 1
                ? FaultHandler.CutAfter(send(), 1_000_000) : send();
        string dest = s.PathOf("out.raw");
        Assert.AreEqual("disk.raw", await new OciArtifactStore(client).PullFileAsync(pushed.Manifest.Layers[0], dest, 1L << 30, TestContext.CancellationToken));
        LayerScratch.AssertSameBytes(src, dest);
        Assert.IsTrue(faults.Requests.Any(r => r.Contains("Range: bytes=1000000-", StringComparison.Ordinal)), string.Join("\n", faults.Requests));
    }

    [TestMethod]
    public async Task ADownloadThatKeepsBreakingLeavesNoFile()
    {
        using var s = new LayerScratch();
        var (client, faults) = Client("faults/broken", maxAttempts: 2);
        using var _ = client;
        var (pushed, _) = await Seed(s, client);
        faults.Intercept = (request, n, send) =>
            request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.Contains("/blobs/", StringComparison.Ordinal)
                ? FaultHandler.CutAfter(send(), 600_000 * n) : send();
        string dest = s.PathOf("out.raw");
        await Assert.ThrowsExactlyAsync<RegistryException>(() =>
            new OciArtifactStore(client).PullFileAsync(pushed.Manifest.Layers[0], dest, 1L << 30, TestContext.CancellationToken));
        Assert.IsFalse(File.Exists(dest), "a failed download leaves no file");
    }

    [TestMethod]
    public async Task APushRefusedMidUploadStopsTheEncoderAndTagsNothing()
    {
        using var s = new LayerScratch();
        var (client, faults) = Client("faults/push");
        using var _ = client;
        faults.Intercept = (request, n, send) =>
            request.Method == HttpMethod.Patch && n >= 2 ? Task.FromResult(FaultHandler.Status(HttpStatusCode.BadRequest)) : send();
        string src = s.DenseFile("big.raw", 24 << 20, (0, LayerScratch.Random(24 << 20, 52)));
        var artifact = new ArtifactToPush(OciMediaTypes.StepArtifact, OciMediaTypes.StepRecord, "{}"u8.ToArray(),
            [new ArtifactFile("big.raw", src, OciMediaTypes.DiskLayer("raw"))]);
        var push = new OciArtifactStore(client).PushAsync(artifact, ["never"], TestContext.CancellationToken);
        Assert.AreSame(push, await Task.WhenAny(push, Task.Delay(TimeSpan.FromSeconds(60), TestContext.CancellationToken)), "the push ends");
        await Assert.ThrowsExactlyAsync<RegistryException>(() => push);
        faults.Intercept = null;
        Assert.IsNull(await client.GetManifestAsync("never", TestContext.CancellationToken));
    }

    [TestMethod]
    public async Task AMissingSourceFailsThePushWithOneLineNamingIt()
    {
        using var s = new LayerScratch();
        var (client, _) = Client("faults/missing");
        using var _client = client;
        string missing = s.PathOf("gone.raw");
        var artifact = new ArtifactToPush(OciMediaTypes.StepArtifact, OciMediaTypes.StepRecord, "{}"u8.ToArray(),
            [new ArtifactFile("gone.raw", missing, OciMediaTypes.DiskLayer("raw"))]);
        var e = await Assert.ThrowsExactlyAsync<IOException>(() => new OciArtifactStore(client).PushAsync(artifact, ["x"], TestContext.CancellationToken));
        Assert.AreEqual($"{missing}: cannot be read (it does not exist)", e.Message);
    }
}
