using System.Net;
using ImageBuild.Oci.Distribution;
using ImageBuild.Oci.Registry;
using ImageBuild.Oci.Tests.Registry;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Distribution;

/// <summary>
/// Push and pull of whole images with faults between the client and a real registry: a cut download resumes, a
/// pull that cannot complete leaves nothing in its destination (not the files already complete, not the directory
/// it made), a push whose manifest the registry refuses publishes no tag.
/// </summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class DistributionFaultTests
{
    private static TestRegistry? s_registry;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Ct => TestContext.CancellationToken;

    private static TestRegistry Registry => s_registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void Start(TestContext _) => s_registry = TestRegistry.Start(new TestRegistryOptions());

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    private static (RegistryClient Client, FaultHandler Faults) Client(string reference, int maxAttempts = 3)
    {
        var options = new RegistryOptions
        {
            PlainHttp = true,
            ChunkSize = 256 << 10,
            MaxAttempts = maxAttempts,
            Environment = _ => null,
            InitialBackoff = TimeSpan.FromMilliseconds(1),
        };
        var faults = new FaultHandler(RegistryHttpHandler.Create(options));
        return (new RegistryClient(OciReference.Parse(Registry.Reference(reference)), options with { Handler = faults }), faults);
    }

    /// <summary>Two files of dense random data (so the layers are large enough to cut), as a two-file image.</summary>
    private static ImageToPublish TwoFiles(TempDir tmp)
    {
        Directory.CreateDirectory(tmp["src"]);
        File.WriteAllBytes(tmp["src/a.raw"], System.Security.Cryptography.RandomNumberGenerator.GetBytes(600_000));
        File.WriteAllBytes(tmp["src/b.raw"], System.Security.Cryptography.RandomNumberGenerator.GetBytes(700_000));
        return new ImageToPublish("raw", 600_000, tmp["src"], ["a.raw", "b.raw"]);
    }

    [TestMethod]
    public async Task APullThatCannotCompleteLeavesNothingNotEvenTheFirstFile()
    {
        using var tmp = new TempDir();
        var image = TwoFiles(tmp);
        var (pusher, _) = Client("dist/broken:v1");
        using (pusher)
            await new ImagePublisher(pusher).PushArtifactAsync(image, "v1", Ct);

        var (client, faults) = Client("dist/broken:v1", maxAttempts: 2);
        using var _ = client;
        int blobGets = 0;
        faults.Intercept = async (request, n, send) =>
        {
            bool layer = request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.Contains("/blobs/", StringComparison.Ordinal);
            // the config and the first layer come whole; the second layer breaks every time
            return layer && Interlocked.Increment(ref blobGets) > 2 ? await FaultHandler.CutAfter(send(), 100_000) : await send();
        };
        string dest = tmp["pulled"];
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => new ImageFetcher(client).PullAsync(client.Repository.WithTag("v1"), dest, Ct));
        StringAssert.StartsWith(e.Message, Registry.Reference("dist/broken"));
        Assert.DoesNotContain("\n", e.Message);
        Assert.IsFalse(Directory.Exists(dest), "the directory the pull made is gone again");
        CollectionAssert.AreEquivalent(new[] { "src" }, Directory.GetFileSystemEntries(tmp.Path).Select(Path.GetFileName).ToList());
    }

    [TestMethod]
    public async Task AContainerDiskDownloadCutMidBodyResumes()
    {
        using var tmp = new TempDir();
        var image = TwoFiles(tmp) with { Files = ["a.raw"] };
        var (pusher, _) = Client("dist/cd:v1");
        using (pusher)
            await new ImagePublisher(pusher).PushContainerDiskAsync(image, "amd64", "v1", Ct);

        var (client, faults) = Client("dist/cd:v1");
        using var _ = client;
        int cuts = 0;
        faults.Intercept = async (request, n, send) =>
        {
            bool layer = request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.Contains("/blobs/", StringComparison.Ordinal) && request.Headers.Range is null;
            return layer && Interlocked.Increment(ref cuts) == 2 ? await FaultHandler.CutAfter(send(), 200_000) : await send();
        };
        var pulled = await new ImageFetcher(client).PullAsync(client.Repository.WithTag("v1"), tmp["disk.raw"], Ct);
        Assert.IsTrue(pulled.IsContainerDisk);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["src/a.raw"]), File.ReadAllBytes(tmp["disk.raw"]));
        Assert.IsTrue(faults.Requests.Any(r => r.Contains("Range: bytes=", StringComparison.Ordinal)), string.Join("\n", faults.Requests));
    }

    [TestMethod]
    public async Task APushWhoseManifestIsRefusedPublishesNoTag()
    {
        using var tmp = new TempDir();
        var image = TwoFiles(tmp);
        var (client, faults) = Client("dist/gone:v1", maxAttempts: 2);
        using (client)
        {
            faults.Intercept = async (request, n, send) =>
                request.Method == HttpMethod.Put && request.RequestUri!.AbsolutePath.Contains("/manifests/", StringComparison.Ordinal)
                    ? FaultHandler.Status(HttpStatusCode.ServiceUnavailable)
                    : await send();
            var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => new ImagePublisher(client).PushArtifactAsync(image, "v1", Ct));
            Assert.DoesNotContain("\n", e.Message);
        }
        var (check, _) = Client("dist/gone:v1");
        using (check)
            Assert.IsNull(await check.GetManifestAsync("v1", Ct), "no tag names an incomplete image");
    }
}
