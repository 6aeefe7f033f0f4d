using System.Net;
using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Registry;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Registry;

/// <summary>Retries, resumed downloads and resumed or restarted uploads, with faults injected between client and a real registry.</summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class FaultTests
{
    private static TestRegistry? s_registry;

    public TestContext TestContext { get; set; } = null!;

    private static TestRegistry Registry => s_registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void Start(TestContext _) => s_registry = TestRegistry.Start(new TestRegistryOptions());

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    private static (RegistryClient Client, FaultHandler Faults, List<string> Warnings) Client(string repository, long chunkSize = 64 << 10, int maxAttempts = 5)
    {
        var warnings = new List<string>();
        var options = new RegistryOptions
        {
            PlainHttp = true,
            ChunkSize = chunkSize,
            MaxAttempts = maxAttempts,
            Environment = _ => null,
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            Warning = line => { lock (warnings) warnings.Add(line); },
        };
        var faults = new FaultHandler(RegistryHttpHandler.Create(options));
        return (new RegistryClient(OciReference.Parse(Registry.Reference(repository)), options with { Handler = faults }), faults, warnings);
    }

    private async Task<OciDescriptor> Seed(string repository, byte[] data)
    {
        var (client, _, _) = Client(repository);
        using (client)
            return await client.PushBlobAsync(new MemoryStream(data), "application/octet-stream", TestContext.CancellationToken);
    }

    [TestMethod]
    public async Task DownloadCutMidBodyResumesWithRange()
    {
        var data = TestData.Bytes(600_000, 20);
        var blob = await Seed("faults/resume", data);
        var (client, faults, warnings) = Client("faults/resume");
        using var _ = client;
        faults.Intercept = (request, n, send) => request.Method == HttpMethod.Get && n == 1 ? FaultHandler.CutAfter(send(), 100_000) : send();

        var destination = new WriteOnlyStream();
        await client.PullBlobAsync(blob, destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(data, destination.ToArray());
        Assert.AreEqual(2, faults.Count("GET "), string.Join("\n", faults.Requests));
        Assert.IsTrue(faults.Requests.Any(r => r.StartsWith("GET ") && r.Contains("Range: bytes=100000-")), string.Join("\n", faults.Requests));
        Assert.AreEqual(1, warnings.Count, string.Join("\n", warnings));
        StringAssert.Contains(warnings[0], "100000 of 600000 bytes");
        Assert.IsFalse(warnings[0].Contains('\n'));
    }

    [TestMethod]
    public async Task ResumeAnsweredWithTheWholeBlobSkipsWhatWasWritten()
    {
        var data = TestData.Bytes(300_000, 21);
        var blob = await Seed("faults/whole", data);
        var (client, faults, _) = Client("faults/whole");
        using var _ = client;
        faults.Intercept = (request, n, send) =>
        {
            if (request.Method != HttpMethod.Get) return send();
            if (n == 1) return FaultHandler.CutAfter(send(), 123_457);
            request.Headers.Range = null; // a server that ignores Range
            return send();
        };
        var destination = new WriteOnlyStream();
        await client.PullBlobAsync(blob, destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(data, destination.ToArray());
    }

    [TestMethod]
    public async Task DownloadWithRegistryStoppedMidBodyResumesAfterRestart()
    {
        var data = TestData.Bytes(400_000, 22);
        var blob = await Seed("faults/stopped-pull", data);
        var (client, faults, warnings) = Client("faults/stopped-pull");
        using var _ = client;
        faults.Intercept = async (request, n, send) =>
        {
            if (request.Method != HttpMethod.Get) return await send();
            if (n == 1)
            {
                var response = await FaultHandler.CutAfter(send(), 50_000);
                Registry.Stop();
                return response;
            }
            if (n == 2) return await send(); // refused: the registry is down
            if (!Registry.IsRunning) Registry.Restart();
            return await send();
        };
        var destination = new WriteOnlyStream();
        await client.PullBlobAsync(blob, destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(data, destination.ToArray());
        Assert.IsTrue(warnings.Any(w => w.Contains("connection refused")), string.Join("\n", warnings));
    }

    [TestMethod]
    public async Task ManifestBodyCutIsRetried()
    {
        var (client, faults, warnings) = Client("faults/manifest");
        using var _ = client;
        await client.PushBlobAsync(new MemoryStream(TestData.EmptyConfig), "application/vnd.oci.empty.v1+json", TestContext.CancellationToken);
        var manifest = TestData.Manifest();
        string digest = await client.PutManifestAsync("m", manifest, "application/vnd.oci.image.manifest.v1+json", TestContext.CancellationToken);
        faults.Intercept = (request, n, send) => request.Method == HttpMethod.Get && n == 1 ? FaultHandler.CutAfter(send(), 10) : send();
        var got = await client.GetManifestAsync("m", TestContext.CancellationToken);
        Assert.AreEqual(digest, got!.Digest);
        Assert.AreEqual(1, warnings.Count, string.Join("\n", warnings));
    }

    [TestMethod]
    public async Task RequestWithoutProgressTimesOutAndIsRetried()
    {
        var (client, faults, warnings) = Client("faults/timeout");
        using var _ = client;
        using var slow = new RegistryClient(client.Repository, new RegistryOptions
        {
            PlainHttp = true,
            Environment = _ => null,
            Timeout = TimeSpan.FromSeconds(1),
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            Warning = warnings.Add,
            Handler = faults,
        });
        faults.StallFirst = 1;
        Assert.IsNull(await slow.HeadBlobAsync(OciDigest.Of([42]), TestContext.CancellationToken));
        Assert.AreEqual(1, warnings.Count, string.Join("\n", warnings));
        StringAssert.Contains(warnings[0], "no progress");
    }

    /// <summary>The registry's answer when two writers store the same manifest at once (one reads the other's half-written copy).</summary>
    private static HttpResponseMessage DigestInvalid() => new(HttpStatusCode.BadRequest)
    {
        Content = new StringContent("""{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}""",
            System.Text.Encoding.UTF8, "application/json"),
    };

    [TestMethod]
    public async Task AManifestPutRacingAnotherWriterIsSentOnceMore()
    {
        var (client, faults, _) = Client("faults/manifest-race");
        using var _ = client;
        await client.PushBlobAsync(new MemoryStream(TestData.EmptyConfig), "application/vnd.oci.empty.v1+json", TestContext.CancellationToken);
        int manifestPuts = 0;
        faults.Intercept = (request, _, send) =>
            request.Method == HttpMethod.Put && request.RequestUri!.AbsolutePath.Contains("/manifests/", StringComparison.Ordinal)
                && Interlocked.Increment(ref manifestPuts) == 1 ? Task.FromResult(DigestInvalid()) : send();
        string digest = await client.PutManifestAsync("race", TestData.Manifest(), "application/vnd.oci.image.manifest.v1+json", TestContext.CancellationToken);
        Assert.AreEqual(OciDigest.Of(TestData.Manifest()), digest);
        Assert.AreEqual(2, faults.Count("PUT /v2/faults/manifest-race/manifests/race"), string.Join("\n", faults.Requests));
        Assert.AreEqual(digest, (await client.GetManifestAsync("race", TestContext.CancellationToken))!.Digest);
    }

    [TestMethod]
    public async Task AManifestTheRegistryKeepsRefusingAsInvalidFailsWithItsMessage()
    {
        var (client, faults, _) = Client("faults/manifest-invalid");
        using var _ = client;
        faults.Intercept = (request, _, send) => request.Method == HttpMethod.Put ? Task.FromResult(DigestInvalid()) : send();
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() =>
            client.PutManifestAsync("bad", TestData.Manifest(), "application/vnd.oci.image.manifest.v1+json", TestContext.CancellationToken));
        StringAssert.Contains(e.Message, "DIGEST_INVALID");
        Assert.AreEqual(2, faults.Count("PUT "), "sent once more, not again and again");
    }

    [TestMethod]
    public async Task ManifestServedForAnotherDigestIsCorrupt()
    {
        var (client, faults, _) = Client("faults/manifest-swap");
        using var _ = client;
        await client.PushBlobAsync(new MemoryStream(TestData.EmptyConfig), "application/vnd.oci.empty.v1+json", TestContext.CancellationToken);
        var layer = await client.PushBlobAsync(new MemoryStream([1, 2, 3]), "application/octet-stream", TestContext.CancellationToken);
        string first = await client.PutManifestAsync("a", TestData.Manifest(), "application/vnd.oci.image.manifest.v1+json", TestContext.CancellationToken);
        string second = await client.PutManifestAsync("b", TestData.Manifest((layer.Digest, layer.Size)), "application/vnd.oci.image.manifest.v1+json", TestContext.CancellationToken);
        faults.Intercept = (request, _, send) =>
        {
            if (request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.EndsWith("/manifests/" + first, StringComparison.Ordinal))
                request.RequestUri = new Uri(request.RequestUri, "/v2/faults/manifest-swap/manifests/" + second);
            return send();
        };
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.GetManifestAsync(first, TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Corrupt, e.Kind);
        StringAssert.Contains(e.Message, first);
        StringAssert.Contains(e.Message, second);
    }

    [TestMethod]
    public async Task Injected503sAreRetriedWithWarnings()
    {
        var (client, faults, warnings) = Client("faults/503");
        using var _ = client;
        faults.Intercept = (request, n, send) =>
            request.Method == HttpMethod.Head && n <= 2 ? Task.FromResult(FaultHandler.Status(HttpStatusCode.ServiceUnavailable, TimeSpan.Zero))
            : request.Method == HttpMethod.Post && n == 1 ? Task.FromResult(FaultHandler.Status(HttpStatusCode.TooManyRequests))
            : send();
        var data = TestData.Bytes(1000, 23);
        var pushed = await client.PushBlobAsync(new MemoryStream(data), "application/octet-stream", TestContext.CancellationToken, knownDigest: OciDigest.Of(data));
        Assert.AreEqual(OciDigest.Of(data), pushed.Digest);
        Assert.AreEqual(3, warnings.Count, string.Join("\n", warnings));
        Assert.IsTrue(warnings.All(w => w.StartsWith("oci://" + Registry.Host + "/faults/503: ", StringComparison.Ordinal) && !w.Contains('\n')));
        StringAssert.Contains(warnings[0], "503");
        StringAssert.Contains(warnings[2], "429");
    }

    [TestMethod]
    public async Task PersistentFailureIsUnreachableAfterMaxAttempts()
    {
        var (client, faults, warnings) = Client("faults/down", maxAttempts: 3);
        using var _ = client;
        faults.Intercept = (_, _, _) => Task.FromResult(FaultHandler.Status(HttpStatusCode.BadGateway));
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.HeadBlobAsync(OciDigest.Of([1]), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unreachable, e.Kind);
        Assert.AreEqual(502, e.StatusCode);
        Assert.AreEqual(3, faults.Requests.Count);
        Assert.AreEqual(2, warnings.Count);
        StringAssert.Contains(e.Message, "after 3 attempts");
    }

    [TestMethod]
    public async Task ClientErrorsAreNotRetried()
    {
        var (client, faults, warnings) = Client("faults/400");
        using var _ = client;
        faults.Intercept = (_, _, _) => Task.FromResult(FaultHandler.Status(HttpStatusCode.BadRequest));
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.GetManifestAsync("t", TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Refused, e.Kind);
        Assert.AreEqual(1, faults.Requests.Count);
        Assert.AreEqual(0, warnings.Count);
    }

    [TestMethod]
    public async Task PatchLostBeforeReachingTheRegistryResumesTheSession()
    {
        var (client, faults, warnings) = Client("faults/patch-before");
        using var _ = client;
        faults.Intercept = (request, n, send) =>
            request.Method == HttpMethod.Patch && n == 2 ? throw new HttpRequestException("connection reset by the test") : send();
        var data = TestData.Bytes(300_000, 24);
        var source = new ForwardOnlyStream(new MemoryStream(data));
        var pushed = await client.PushBlobAsync(source, "application/octet-stream", TestContext.CancellationToken);
        Assert.AreEqual(OciDigest.Of(data), pushed.Digest);
        Assert.AreEqual(data.Length, source.BytesRead, "resumed, not read again");
        Assert.AreEqual(1, faults.Count("POST "), string.Join("\n", faults.Requests));
        Assert.AreEqual(1, faults.Count("GET "), "one upload status request");
        Assert.AreEqual(1, warnings.Count, string.Join("\n", warnings));
        await AssertPulls(client, pushed, data);
    }

    [TestMethod]
    public async Task PatchLostAfterReachingTheRegistryStartsOverWhenTheContentSeeks()
    {
        var (client, faults, warnings) = Client("faults/patch-after");
        using var _ = client;
        faults.Intercept = async (request, n, send) =>
        {
            var response = await send();
            if (request.Method == HttpMethod.Patch && n == 2) throw new IOException("connection reset by the test");
            return response;
        };
        var data = TestData.Bytes(300_000, 25);
        var pushed = await client.PushBlobAsync(new MemoryStream(data), "application/octet-stream", TestContext.CancellationToken);
        Assert.AreEqual(OciDigest.Of(data), pushed.Digest);
        Assert.IsTrue(warnings.Any(w => w.Contains("starting the upload over")), string.Join("\n", warnings));
        Assert.AreEqual(2, faults.Count("POST "), "a second upload session");
        await AssertPulls(client, pushed, data);
    }

    [TestMethod]
    public async Task PatchLostAfterReachingTheRegistryFailsWhenTheContentCannotBeReadAgain()
    {
        var (client, faults, _) = Client("faults/patch-after-pipe");
        using var _ = client;
        faults.Intercept = async (request, n, send) =>
        {
            var response = await send();
            if (request.Method == HttpMethod.Patch && n == 2) throw new IOException("connection reset by the test");
            return response;
        };
        var data = TestData.Bytes(300_000, 26);
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() =>
            client.PushBlobAsync(new ForwardOnlyStream(new MemoryStream(data)), "application/octet-stream", TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unreachable, e.Kind);
        StringAssert.Contains(e.Message, "cannot be read again");
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    [TestMethod]
    public async Task RegistryStoppedMidPushIsResumedAfterRestart()
    {
        var (client, faults, warnings) = Client("faults/stopped-push");
        using var _ = client;
        faults.Intercept = async (request, n, send) =>
        {
            if (request.Method == HttpMethod.Patch && n == 3) Registry.Stop();
            else if (!Registry.IsRunning && request.Method == HttpMethod.Get) Registry.Restart();
            return await send();
        };
        var data = TestData.Bytes(400_000, 27);
        var source = new ForwardOnlyStream(new MemoryStream(data));
        var pushed = await client.PushBlobAsync(source, "application/octet-stream", TestContext.CancellationToken);
        Assert.AreEqual(OciDigest.Of(data), pushed.Digest);
        Assert.AreEqual(data.Length, source.BytesRead);
        Assert.IsTrue(warnings.Any(w => w.Contains("connection refused")), string.Join("\n", warnings));
        await AssertPulls(client, pushed, data);
    }

    private async Task AssertPulls(RegistryClient client, OciDescriptor blob, byte[] data)
    {
        var destination = new WriteOnlyStream();
        await client.PullBlobAsync(blob, destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(data, destination.ToArray());
    }
}
