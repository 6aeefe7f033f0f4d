using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Registry;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Registry;

/// <summary>Blobs and manifests against a real registry over plain HTTP on loopback, without authentication.</summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class AnonymousRegistryTests
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private static TestRegistry? s_registry;

    public TestContext TestContext { get; set; } = null!;

    private static TestRegistry Registry => s_registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void Start(TestContext _) => s_registry = TestRegistry.Start(new TestRegistryOptions());

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    private static RegistryClient Client(string repository, long chunkSize = 16 << 20, List<string>? warnings = null) =>
        new(OciReference.Parse(Registry.Reference(repository)), new RegistryOptions
        {
            PlainHttp = true,
            ChunkSize = chunkSize,
            Environment = _ => null,
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            Warning = warnings is null ? null : warnings.Add,
        });

    [TestMethod]
    public async Task SmallBlobGoesAsOnePutAndComesBack()
    {
        using var client = Client("anon/small");
        var data = TestData.Bytes(1000, 1);
        var source = new ForwardOnlyStream(new MemoryStream(data));
        var pushed = await client.PushBlobAsync(source, "application/x-test", TestContext.CancellationToken);
        Assert.AreEqual(new OciDescriptor("application/x-test", OciDigest.Of(data), data.Length), pushed);
        Assert.AreEqual(data.Length, source.BytesRead);

        var head = await client.HeadBlobAsync(pushed.Digest, TestContext.CancellationToken);
        Assert.IsNotNull(head);
        Assert.AreEqual(data.Length, head.Size);

        var destination = new WriteOnlyStream();
        await client.PullBlobAsync(pushed, destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(data, destination.ToArray());
    }

    [TestMethod]
    public async Task EmptyBlob()
    {
        using var client = Client("anon/empty");
        var pushed = await client.PushBlobAsync(new ForwardOnlyStream(new MemoryStream()), "application/x-test", TestContext.CancellationToken);
        Assert.AreEqual(OciDigest.Of([]), pushed.Digest);
        Assert.AreEqual(0, pushed.Size);
        var destination = new WriteOnlyStream();
        await client.PullBlobAsync(pushed, destination, TestContext.CancellationToken);
        Assert.AreEqual(0, destination.ToArray().Length);
    }

    [TestMethod]
    public async Task LargeBlobGoesInChunks()
    {
        var warnings = new List<string>();
        using var client = Client("anon/chunked", chunkSize: 256 << 10, warnings);
        var data = TestData.Bytes((1 << 20) + 12345, 2);
        var source = new ForwardOnlyStream(new MemoryStream(data));
        var pushed = await client.PushBlobAsync(source, "application/x-test", TestContext.CancellationToken);
        Assert.AreEqual(OciDigest.Of(data), pushed.Digest);
        Assert.AreEqual(data.Length, pushed.Size);
        Assert.AreEqual(data.Length, source.BytesRead, "the content is read once");
        Assert.AreEqual(0, warnings.Count, string.Join("\n", warnings));

        var destination = new WriteOnlyStream();
        await client.PullBlobAsync(pushed, destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(data, destination.ToArray());
        Assert.IsTrue(File.Exists(Registry.BlobPath(pushed.Digest)));
    }

    [TestMethod]
    public async Task ChunkSizeMultipleEndsWithEmptyCommit()
    {
        using var client = Client("anon/exact", chunkSize: 64 << 10);
        var data = TestData.Bytes(3 * (64 << 10), 3);
        var pushed = await client.PushBlobAsync(new ForwardOnlyStream(new MemoryStream(data)), "application/x-test", TestContext.CancellationToken);
        Assert.AreEqual(OciDigest.Of(data), pushed.Digest);
        var destination = new WriteOnlyStream();
        await client.PullBlobAsync(pushed, destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(data, destination.ToArray());
    }

    [TestMethod]
    public async Task KnownBlobIsNotReadAgain()
    {
        using var client = Client("anon/known");
        var data = TestData.Bytes(5000, 4);
        var first = await client.PushBlobAsync(new MemoryStream(data), "application/x-test", TestContext.CancellationToken);
        var again = new ForwardOnlyStream(new MemoryStream(data));
        var second = await client.PushBlobAsync(again, "application/x-other", TestContext.CancellationToken, knownDigest: first.Digest, knownSize: data.Length);
        Assert.AreEqual(0, again.BytesRead, "HEAD found the blob: nothing read");
        Assert.AreEqual(new OciDescriptor("application/x-other", first.Digest, data.Length), second);
    }

    [TestMethod]
    public async Task WrongKnownDigestIsCorrupt()
    {
        using var client = Client("anon/wrongdigest");
        var data = TestData.Bytes(5000, 5);
        string other = OciDigest.Of(TestData.Bytes(10, 6));
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() =>
            client.PushBlobAsync(new MemoryStream(data), "application/x-test", TestContext.CancellationToken, knownDigest: other));
        Assert.AreEqual(RegistryFailure.Corrupt, e.Kind);
        StringAssert.StartsWith(e.Message, "oci://" + Registry.Host + "/anon/wrongdigest: ");
        Assert.IsNull(await client.HeadBlobAsync(other, TestContext.CancellationToken));
        Assert.IsNull(await client.HeadBlobAsync(OciDigest.Of(data), TestContext.CancellationToken));
    }

    [TestMethod]
    public async Task MountsAcrossRepositories()
    {
        using var source = Client("anon/mount-source");
        using var target = Client("anon/mount-target");
        var data = TestData.Bytes(300_000, 7);
        var pushed = await source.PushBlobAsync(new MemoryStream(data), "application/x-test", TestContext.CancellationToken);
        var content = new ForwardOnlyStream(new MemoryStream(data));
        var mounted = await target.PushBlobAsync(content, "application/x-test", TestContext.CancellationToken,
            knownDigest: pushed.Digest, knownSize: data.Length, mountFrom: "anon/mount-source");
        Assert.AreEqual(0, content.BytesRead, "the mount made the upload unnecessary");
        Assert.AreEqual(pushed, mounted);
        var destination = new WriteOnlyStream();
        await target.PullBlobAsync(mounted, destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(data, destination.ToArray());
    }

    [TestMethod]
    public async Task MountOfAnAbsentBlobFallsBackToUpload()
    {
        using var target = Client("anon/mount-fallback");
        var data = TestData.Bytes(2000, 8);
        var content = new ForwardOnlyStream(new MemoryStream(data));
        var pushed = await target.PushBlobAsync(content, "application/x-test", TestContext.CancellationToken,
            knownDigest: OciDigest.Of(data), knownSize: data.Length, mountFrom: "anon/nowhere");
        Assert.AreEqual(data.Length, content.BytesRead);
        Assert.AreEqual(OciDigest.Of(data), pushed.Digest);
        Assert.IsNotNull(await target.HeadBlobAsync(pushed.Digest, TestContext.CancellationToken));
    }

    [TestMethod]
    public async Task ManifestsByTagAndDigestAndTags()
    {
        using var client = Client("anon/manifests");
        await client.PushBlobAsync(new MemoryStream(TestData.EmptyConfig), "application/vnd.oci.empty.v1+json", TestContext.CancellationToken);
        var layer = TestData.Bytes(4096, 9);
        var blob = await client.PushBlobAsync(new MemoryStream(layer), "application/octet-stream", TestContext.CancellationToken);
        var manifest = TestData.Manifest((blob.Digest, blob.Size));

        string digest = await client.PutManifestAsync("v1", manifest, ManifestType, TestContext.CancellationToken);
        Assert.AreEqual(OciDigest.Of(manifest), digest);
        Assert.AreEqual(digest, await client.PutManifestAsync(digest, manifest, ManifestType, TestContext.CancellationToken));
        await client.PutManifestAsync("v2", manifest, ManifestType, TestContext.CancellationToken);

        foreach (var reference in new[] { "v1", digest })
        {
            var got = await client.GetManifestAsync(reference, TestContext.CancellationToken);
            Assert.IsNotNull(got);
            CollectionAssert.AreEqual(manifest, got.Content);
            Assert.AreEqual(ManifestType, got.MediaType);
            Assert.AreEqual(digest, got.Digest);
        }
        var head = await client.HeadManifestAsync("v2", TestContext.CancellationToken);
        Assert.AreEqual(new OciDescriptor(ManifestType, digest, manifest.Length), head);

        Assert.IsNull(await client.GetManifestAsync("absent", TestContext.CancellationToken));
        Assert.IsNull(await client.GetManifestAsync(OciDigest.Of([1, 2, 3]), TestContext.CancellationToken));
        CollectionAssert.AreEquivalent(new[] { "v1", "v2" }, (await client.ListTagsAsync(TestContext.CancellationToken)).ToArray());
        using var empty = Client("anon/never-pushed");
        Assert.AreEqual(0, (await empty.ListTagsAsync(TestContext.CancellationToken)).Count);

        Assert.IsTrue(await client.DeleteManifestAsync(digest, TestContext.CancellationToken));
        Assert.IsNull(await client.GetManifestAsync("v1", TestContext.CancellationToken));
    }

    [TestMethod]
    public async Task ManifestWithMissingBlobIsRefused()
    {
        using var client = Client("anon/missing-layer");
        await client.PushBlobAsync(new MemoryStream(TestData.EmptyConfig), "application/vnd.oci.empty.v1+json", TestContext.CancellationToken);
        var manifest = TestData.Manifest((OciDigest.Of([9, 9, 9]), 3));
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.PutManifestAsync("t", manifest, ManifestType, TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Refused, e.Kind);
        Assert.AreEqual(400, e.StatusCode);
        StringAssert.Contains(e.Message, "MANIFEST_BLOB_UNKNOWN");
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    [TestMethod]
    public async Task AbsentBlob()
    {
        using var client = Client("anon/absent");
        string digest = OciDigest.Of([4, 5, 6]);
        Assert.IsNull(await client.HeadBlobAsync(digest, TestContext.CancellationToken));
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() =>
            client.PullBlobAsync(new OciDescriptor("application/octet-stream", digest, 3), new WriteOnlyStream(), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.NotFound, e.Kind);
    }

    [TestMethod]
    public async Task CorruptBlobOnDiskIsCorrupt()
    {
        using var client = Client("anon/corrupt");
        var data = TestData.Bytes(70_000, 10);
        var pushed = await client.PushBlobAsync(new MemoryStream(data), "application/x-test", TestContext.CancellationToken);
        string path = Registry.BlobPath(pushed.Digest);
        var damaged = (byte[])data.Clone();
        damaged[40_000] ^= 0xff;
        File.WriteAllBytes(path, damaged);

        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() =>
            client.PullBlobAsync(pushed, new WriteOnlyStream(), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Corrupt, e.Kind);
        StringAssert.Contains(e.Message, pushed.Digest);

        File.WriteAllBytes(path, data.AsSpan(0, 1000).ToArray());
        var shorter = await Assert.ThrowsExactlyAsync<RegistryException>(() =>
            client.PullBlobAsync(pushed, new WriteOnlyStream(), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Corrupt, shorter.Kind, shorter.Message);

        File.WriteAllBytes(path, [.. data, 1, 2, 3]);
        var longer = await Assert.ThrowsExactlyAsync<RegistryException>(() =>
            client.PullBlobAsync(pushed, new WriteOnlyStream(), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Corrupt, longer.Kind);
    }

    [TestMethod]
    public async Task PlainHttpWithoutTheOptionFails()
    {
        using var client = new RegistryClient(OciReference.Parse(Registry.Reference("anon/https")), new RegistryOptions
        {
            Environment = _ => null,
            MaxAttempts = 1,
        });
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.HeadBlobAsync(OciDigest.Of([1]), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unreachable, e.Kind);
        StringAssert.StartsWith(e.Message, "oci://" + Registry.Host + "/anon/https: ");
    }
}
