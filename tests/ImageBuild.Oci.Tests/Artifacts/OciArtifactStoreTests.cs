using System.Text;
using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Layers;
using ImageBuild.Oci.Registry;
using ImageBuild.Oci.Tests.Layers;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Artifacts;

/// <summary>The artifact store against a real registry (docker-registry on loopback, plain HTTP, anonymous).</summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class OciArtifactStoreTests
{
    private static readonly byte[] Record = Encoding.UTF8.GetBytes("{\"key\":\"abc\",\"step\":\"convert\"}");
    private static TestRegistry? s_registry;

    public TestContext TestContext { get; set; } = null!;

    private static TestRegistry Registry => s_registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void Start(TestContext _) => s_registry = TestRegistry.Start(new TestRegistryOptions());

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    private static RegistryClient Client(string repository) =>
        new(OciReference.Parse(Registry.Reference(repository)), new RegistryOptions
        {
            PlainHttp = true,
            Environment = _ => null,
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            MaxAttempts = 2,
        });

    private static ArtifactToPush Step(params ArtifactFile[] files) =>
        new(OciMediaTypes.StepArtifact, OciMediaTypes.StepRecord, Record, files,
            new Dictionary<string, string> { [OciAnnotations.StepKey] = "abc" });

    [TestMethod]
    public async Task PushFindAndPullRoundTripAMultiFileArtifact()
    {
        using var s = new LayerScratch();
        using var client = Client("store/roundtrip");
        var store = new OciArtifactStore(client);
        string disk = s.SparseFile("disk-flat.vmdk", 256L << 20, (0, LayerScratch.Random(70_000, 1)), (200L << 20, LayerScratch.Random(1 << 20, 2)));
        string descriptor = s.DenseFile("disk.vmdk", 900, (0, LayerScratch.Random(900, 3)));
        ArtifactToPush artifact = Step(
            new ArtifactFile("disk.vmdk", descriptor, OciMediaTypes.DiskLayer("vmdk")),
            new ArtifactFile("disk-flat.vmdk", disk, OciMediaTypes.DiskLayer("vmdk")));

        PushedArtifact pushed = await store.PushAsync(artifact, ["step-abc", "latest"], TestContext.CancellationToken);
        Assert.AreEqual(OciMediaTypes.StepArtifact, pushed.Manifest.ArtifactType);
        Assert.AreEqual(2, pushed.Manifest.Layers.Count);
        Assert.AreEqual("disk-flat.vmdk", pushed.Manifest.Layers[1].Annotations![OciAnnotations.Title]);
        Assert.AreEqual((256L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), pushed.Manifest.Layers[1].Annotations![OciAnnotations.FileSize]);
        Assert.IsLessThan(2L << 20, pushed.Manifest.Layers[1].Size, "the sparse file travels as its data, not its size");
        Assert.AreEqual(OciDigest.Of(Record), pushed.Manifest.Config.Digest);

        foreach (string tag in new[] { "step-abc", "latest", pushed.ManifestDigest })
        {
            FoundArtifact? found = await store.FindAsync(tag, OciMediaTypes.StepArtifact, TestContext.CancellationToken);
            Assert.IsNotNull(found, tag);
            Assert.AreEqual(pushed.ManifestDigest, found.ManifestDigest);
            CollectionAssert.AreEqual(pushed.Manifest.ToJson(), found.Manifest.ToJson());
        }
        Assert.IsNull(await store.FindAsync("step-abc", OciMediaTypes.ImageArtifact, TestContext.CancellationToken), "another artifactType is a miss");
        Assert.IsNull(await store.FindAsync("no-such-tag", OciMediaTypes.StepArtifact, TestContext.CancellationToken));

        FoundArtifact hit = (await store.FindAsync("step-abc", OciMediaTypes.StepArtifact, TestContext.CancellationToken))!;
        CollectionAssert.AreEqual(Record, await store.GetConfigAsync(hit, 1 << 20, TestContext.CancellationToken));
        await Assert.ThrowsExactlyAsync<InvalidDataException>(() => store.GetConfigAsync(hit, 10, TestContext.CancellationToken));

        Directory.CreateDirectory(s.PathOf("out"));
        foreach (OciDescriptor layer in hit.Manifest.Layers)
        {
            string title = layer.Annotations![OciAnnotations.Title];
            string name = await store.PullFileAsync(layer, Path.Combine(s.PathOf("out"), title), 1L << 30, TestContext.CancellationToken);
            Assert.AreEqual(title, name);
        }
        LayerScratch.AssertSameBytes(descriptor, s.PathOf("out/disk.vmdk"));
        LayerScratch.AssertSameBytes(disk, s.PathOf("out/disk-flat.vmdk"));
        Assert.IsLessThan(4L << 20, LayerScratch.AllocatedBytes(s.PathOf("out/disk-flat.vmdk")), "pulled file is sparse");
    }

    [TestMethod]
    public async Task PushingTheSameBytesAgainGivesTheSameManifestAndAKnownDigestIsNotRead()
    {
        using var s = new LayerScratch();
        using var client = Client("store/again");
        var store = new OciArtifactStore(client);
        string a = s.SparseFile("a.raw", 8L << 20, (1 << 20, LayerScratch.Random(5000, 4)));
        string b = s.DenseFile("b.raw", 8L << 20, (1 << 20, LayerScratch.Random(5000, 4)));
        PushedArtifact first = await store.PushAsync(Step(new ArtifactFile("disk.raw", a, OciMediaTypes.DiskLayer("raw"))), ["one"], TestContext.CancellationToken);
        PushedArtifact second = await store.PushAsync(Step(new ArtifactFile("disk.raw", b, OciMediaTypes.DiskLayer("raw"))), ["two"], TestContext.CancellationToken);
        Assert.AreEqual(first.ManifestDigest, second.ManifestDigest, "same bytes, other hole layout: same manifest");

        // Same length, other bytes: were the file read, the layer's digest would change.
        string other = s.DenseFile("other.raw", 8L << 20, (0, LayerScratch.Random(100, 5)));
        string known = first.Manifest.Layers[0].Digest;
        PushedArtifact third = await store.PushAsync(Step(new ArtifactFile("disk.raw", other, OciMediaTypes.DiskLayer("raw"), known)), ["three"], TestContext.CancellationToken);
        Assert.AreEqual(first.ManifestDigest, third.ManifestDigest);
    }

    /// <summary>
    /// A file pushed with its data runs known is not scanned: the same runs give the same layer as a scanning push;
    /// runs that leave data out (stale) are trusted for the layout, so the blob lacks that data (a puller checking
    /// the content hash refuses it). Pulling with an observer reports the file's data as it is written.
    /// </summary>
    [TestMethod]
    public async Task KnownExtentsAreUsedInsteadOfAScanAndAPullReportsWhatItWrites()
    {
        using var s = new LayerScratch();
        using var client = Client("store/known");
        var store = new OciArtifactStore(client);
        long size = 16L << 20;
        string disk = s.SparseFile("disk.raw", size, (4096, LayerScratch.Random(100_000, 31)), (9L << 20, LayerScratch.Random(5000, 32)));
        List<DataExtent> runs = SparseFileLayerKnownExtentsTests.Runs(File.ReadAllBytes(disk));
        Assert.HasCount(2, runs);

        PushedArtifact scanned = await store.PushAsync(Step(new ArtifactFile("disk.raw", disk, OciMediaTypes.DiskLayer("raw"))), ["scanned"], TestContext.CancellationToken);
        PushedArtifact known = await store.PushAsync(Step(new ArtifactFile("disk.raw", disk, OciMediaTypes.DiskLayer("raw")) { KnownExtents = runs }), ["known"], TestContext.CancellationToken);
        Assert.AreEqual(scanned.ManifestDigest, known.ManifestDigest);
        PushedArtifact stale = await store.PushAsync(Step(new ArtifactFile("disk.raw", disk, OciMediaTypes.DiskLayer("raw")) { KnownExtents = runs.Take(1).ToList() }), ["stale"], TestContext.CancellationToken);
        Assert.AreNotEqual(scanned.Manifest.Layers[0].Digest, stale.Manifest.Layers[0].Digest, "the runs given decide the layout");

        byte[] seen = new byte[size];
        long reported = 0;
        string name = await store.PullFileAsync(known.Manifest.Layers[0], s.PathOf("pulled.raw"), size, (offset, data) =>
        {
            data.CopyTo(seen.AsSpan((int)offset));
            reported += data.Length;
        }, TestContext.CancellationToken);
        Assert.AreEqual("disk.raw", name);
        Assert.AreEqual(runs.Sum(r => r.Length), reported);
        CollectionAssert.AreEqual(File.ReadAllBytes(disk), seen);
        LayerScratch.AssertSameBytes(disk, s.PathOf("pulled.raw"));

        await store.PullFileAsync(stale.Manifest.Layers[0], s.PathOf("stale.raw"), size, TestContext.CancellationToken);
        Assert.IsFalse(File.ReadAllBytes(s.PathOf("stale.raw")).AsSpan(9 << 20, 5000).ContainsAnyExcept((byte)0), "the run left out is not in the blob");
    }

    [TestMethod]
    public async Task TwoAgentsPushingTheSameEntryAtOnceBothSucceedWithOneManifest()
    {
        using var s = new LayerScratch();
        string a = s.SparseFile("a.raw", 16L << 20, (0, LayerScratch.Random(2 << 20, 11)));
        string b = s.DenseFile("b.raw", 16L << 20, (0, LayerScratch.Random(2 << 20, 11)));
        using var clientA = Client("store/race");
        using var clientB = Client("store/race");
        var pushes = new[]
        {
            new OciArtifactStore(clientA).PushAsync(Step(new ArtifactFile("disk.raw", a, OciMediaTypes.DiskLayer("raw"))), ["key"], TestContext.CancellationToken),
            new OciArtifactStore(clientB).PushAsync(Step(new ArtifactFile("disk.raw", b, OciMediaTypes.DiskLayer("raw"))), ["key"], TestContext.CancellationToken),
        };
        PushedArtifact[] done = await Task.WhenAll(pushes);
        Assert.AreEqual(done[0].ManifestDigest, done[1].ManifestDigest);
        FoundArtifact? found = await new OciArtifactStore(clientA).FindAsync("key", OciMediaTypes.StepArtifact, TestContext.CancellationToken);
        Assert.AreEqual(done[0].ManifestDigest, found?.ManifestDigest);
    }

    [TestMethod]
    public async Task AKnownLayerIsMountedFromAnotherRepositoryWithoutUploading()
    {
        using var s = new LayerScratch();
        using var source = Client("store/mount-src");
        using var target = Client("store/mount-dst");
        string file = s.SparseFile("disk.raw", 8L << 20, (0, LayerScratch.Random(6 << 20, 8)));
        PushedArtifact original = await new OciArtifactStore(source).PushAsync(Step(new ArtifactFile("disk.raw", file, OciMediaTypes.DiskLayer("raw"))), ["m"], TestContext.CancellationToken);
        string known = original.Manifest.Layers[0].Digest;
        Assert.IsNull(await target.HeadBlobAsync(known, TestContext.CancellationToken));

        // Other bytes under the same name: uploading them would fail the known digest's check.
        string other = s.DenseFile("other.raw", 8L << 20, (0, LayerScratch.Random(8 << 20, 9)));
        PushedArtifact mounted = await new OciArtifactStore(target, "store/mount-src").PushAsync(
            Step(new ArtifactFile("disk.raw", other, OciMediaTypes.DiskLayer("raw"), known)), ["m"], TestContext.CancellationToken);
        Assert.AreEqual(original.ManifestDigest, mounted.ManifestDigest);
        Assert.IsNotNull(await target.HeadBlobAsync(known, TestContext.CancellationToken), "the blob was mounted into the target repository");
    }

    [TestMethod]
    public async Task ACorruptBlobLeavesNoFile()
    {
        using var s = new LayerScratch();
        using var client = Client("store/corrupt");
        var store = new OciArtifactStore(client);
        // Random data: zstd stores it raw, so a flipped byte passes the decoder and the tar reader and only the
        // digest, checked when the download ends, finds it.
        string src = s.DenseFile("data.bin", 3 << 20, (0, LayerScratch.Random(3 << 20, 6)));
        PushedArtifact pushed = await store.PushAsync(Step(new ArtifactFile("data.bin", src, OciMediaTypes.DiskLayer("raw"))), ["c"], TestContext.CancellationToken);
        OciDescriptor layer = pushed.Manifest.Layers[0];
        string blob = Registry.BlobPath(layer.Digest);
        byte[] bytes = File.ReadAllBytes(blob);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(blob, bytes);

        string dest = s.PathOf("pulled.bin");
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => store.PullFileAsync(layer, dest, 1L << 30, TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Corrupt, e.Kind);
        Assert.IsFalse(File.Exists(dest), "the corrupt blob left no file");
    }

    [TestMethod]
    public async Task ARefusedLayerStopsTheDownloadAndLeavesNoFile()
    {
        using var s = new LayerScratch();
        using var client = Client("store/hostile");
        var store = new OciArtifactStore(client);
        byte[] hostile = new HostileLayer().File("../evil", Encoding.ASCII.GetBytes("x")).End().Compressed();
        OciDescriptor blob;
        using (var content = new MemoryStream(hostile))
            blob = await client.PushBlobAsync(content, OciMediaTypes.DiskLayer("raw"), TestContext.CancellationToken);
        string dest = s.PathOf("x");
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => store.PullFileAsync(blob, dest, 1 << 20, TestContext.CancellationToken));
        StringAssert.Contains(e.Message, "directory part");
        StringAssert.StartsWith(e.Message, Registry.Reference("store/hostile") + "@" + blob.Digest);
        Assert.IsFalse(File.Exists(dest));
    }

    [TestMethod]
    public async Task ALayerWhoseEntryIsNotItsTitleIsRefused()
    {
        using var s = new LayerScratch();
        using var client = Client("store/title");
        var store = new OciArtifactStore(client);
        string src = s.DenseFile("a.raw", 100, (0, LayerScratch.Random(100, 10)));
        PushedArtifact pushed = await store.PushAsync(Step(new ArtifactFile("a.raw", src, OciMediaTypes.DiskLayer("raw"))), ["t"], TestContext.CancellationToken);
        OciDescriptor renamed = pushed.Manifest.Layers[0] with { Annotations = new Dictionary<string, string> { [OciAnnotations.Title] = "b.raw" } };
        string dest = s.PathOf("b.raw");
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => store.PullFileAsync(renamed, dest, 1 << 20, TestContext.CancellationToken));
        StringAssert.Contains(e.Message, "titles it 'b.raw'");
        Assert.IsFalse(File.Exists(dest));
    }

    [TestMethod]
    public async Task PullingOntoAnExistingFileIsRefusedAndKeepsIt()
    {
        using var s = new LayerScratch();
        using var client = Client("store/exists");
        var store = new OciArtifactStore(client);
        string src = s.DenseFile("a.raw", 24 << 20, (0, LayerScratch.Random(24 << 20, 12)));
        PushedArtifact pushed = await store.PushAsync(Step(new ArtifactFile("a.raw", src, OciMediaTypes.DiskLayer("raw"))), ["e"], TestContext.CancellationToken);
        string dest = s.PathOf("there");
        File.WriteAllText(dest, "keep");
        var e = await Assert.ThrowsExactlyAsync<IOException>(() => store.PullFileAsync(pushed.Manifest.Layers[0], dest, 1L << 30, TestContext.CancellationToken));
        Assert.AreEqual($"{dest}: cannot be created (it already exists)", e.Message);
        Assert.AreEqual("keep", File.ReadAllText(dest));
    }

    [TestMethod]
    public async Task AManifestOfAnotherKindIsAMiss()
    {
        using var client = Client("store/foreign");
        var store = new OciArtifactStore(client);
        byte[] empty = "{}"u8.ToArray();
        using (var content = new MemoryStream(empty))
            await client.PushBlobAsync(content, OciMediaTypes.EmptyJson, TestContext.CancellationToken);
        var plain = new OciManifest { Config = new OciDescriptor(OciMediaTypes.ImageConfig, OciDigest.Of(empty), 2), Layers = [] };
        await client.PutManifestAsync("plain", plain.ToJson(), OciMediaTypes.ImageManifest, TestContext.CancellationToken);
        Assert.IsNull(await store.FindAsync("plain", OciMediaTypes.StepArtifact, TestContext.CancellationToken));
        Assert.IsNotNull(await store.FindAsync("plain", OciMediaTypes.ImageConfig, TestContext.CancellationToken), "no artifactType: the config's media type is the type");
    }

    [TestMethod]
    [RequiresTool("skopeo")]
    public async Task SkopeoReadsAndCopiesWhatWePush()
    {
        using var s = new LayerScratch();
        using var client = Client("store/skopeo");
        var store = new OciArtifactStore(client);
        string src = s.SparseFile("disk.raw", 16L << 20, (4096, LayerScratch.Random(10_000, 7)));
        PushedArtifact pushed = await store.PushAsync(Step(new ArtifactFile("disk.raw", src, OciMediaTypes.DiskLayer("raw"))), ["v1"], TestContext.CancellationToken);
        string image = "docker://" + Registry.Host + "/store/skopeo:v1";

        var raw = QemuOracle.Run(ExternalTools.Find("skopeo"), ["inspect", "--raw", "--tls-verify=false", image]);
        Assert.AreEqual(0, raw.ExitCode, raw.StdErr);
        Assert.AreEqual(Encoding.UTF8.GetString(pushed.Manifest.ToJson()), raw.StdOut.Trim());

        var copy = QemuOracle.Run(ExternalTools.Find("skopeo"), ["copy", "--src-tls-verify=false", image, "oci:" + s.PathOf("layout") + ":v1"]);
        Assert.AreEqual(0, copy.ExitCode, copy.StdErr);
        string blob = Path.Combine(s.PathOf("layout"), "blobs", "sha256", pushed.Manifest.Layers[0].Digest["sha256:".Length..]);
        Assert.IsTrue(File.Exists(blob), "skopeo copied the layer blob");
        using var layerFile = File.OpenRead(blob);
        Assert.AreEqual("disk.raw", SparseFileLayer.Extract(layerFile, s.PathOf("fromlayout.raw"), 1L << 30, TestContext.CancellationToken));
        LayerScratch.AssertSameBytes(src, s.PathOf("fromlayout.raw"));
    }
}
