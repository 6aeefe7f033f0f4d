using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Registry;

namespace ImageBuild.Oci.Tests.Registry;

/// <summary>The Bearer challenge flow against an in-process fake registry and token service.</summary>
[TestClass]
public sealed class BearerTokenTests
{
    public TestContext TestContext { get; set; } = null!;

    private static RegistryClient Client(FakeBearerRegistry fake, string? user = null, string? password = null) =>
        new(OciReference.Parse("oci://registry.fake/app"), new RegistryOptions
        {
            Handler = fake,
            Environment = name => name switch
            {
                CredentialResolver.UsernameVariable => user,
                CredentialResolver.PasswordVariable => password,
                _ => null,
            },
            InitialBackoff = TimeSpan.Zero,
        });

    [TestMethod]
    public async Task AnonymousTokenIsFetchedOnceAndSentUpFront()
    {
        var fake = new FakeBearerRegistry([1, 2, 3]);
        using var client = Client(fake);
        for (int i = 0; i < 3; i++)
        {
            var head = await client.HeadBlobAsync(fake.BlobDigest, TestContext.CancellationToken);
            Assert.AreEqual(3, head!.Size);
        }
        Assert.AreEqual(1, fake.TokenRequests, "cached for its scope");
        Assert.AreEqual("", fake.TokenRequestAuthorizations.Single(), "anonymous token request");
    }

    [TestMethod]
    public async Task CredentialsGoToTheTokenServiceAndAccessTokenIsRead()
    {
        var fake = new FakeBearerRegistry([4, 5]) { User = "bob", Password = "hunter2!", AccessTokenField = true };
        using var client = Client(fake, "bob", "hunter2!");
        Assert.IsNotNull(await client.HeadBlobAsync(fake.BlobDigest, TestContext.CancellationToken));
        StringAssert.StartsWith(fake.TokenRequestAuthorizations.Single(), "Basic ");
    }

    [TestMethod]
    public async Task RefusedCredentialsAreUnauthorizedWithoutTheSecret()
    {
        var fake = new FakeBearerRegistry([4, 5]) { User = "bob", Password = "hunter2!" };
        using var client = Client(fake, "bob", "wrong-secret");
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.HeadBlobAsync(fake.BlobDigest, TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unauthorized, e.Kind);
        StringAssert.StartsWith(e.Message, "oci://registry.fake/app: ");
        StringAssert.Contains(e.Message, "auth.fake");
        Assert.IsFalse(e.ToString().Contains("wrong-secret"));
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    [TestMethod]
    public async Task TokenRefusedByTheRegistryIsUnauthorizedAfterOneRetry()
    {
        var fake = new FakeBearerRegistry([4, 5]) { RefuseTokens = true };
        using var client = Client(fake);
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.HeadBlobAsync(fake.BlobDigest, TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unauthorized, e.Kind);
        Assert.AreEqual(1, fake.TokenRequests);
    }

    [TestMethod]
    public async Task RedirectToStorageDropsTheAuthorization()
    {
        var blob = TestData.Bytes(10_000, 30);
        var fake = new FakeBearerRegistry(blob);
        using var client = Client(fake);
        var destination = new WriteOnlyStream();
        await client.PullBlobAsync(new OciDescriptor("application/octet-stream", fake.BlobDigest, blob.Length), destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(blob, destination.ToArray());
        Assert.IsNull(fake.StorageAuthorizations.Single(), "no registry token sent to the storage host");
    }

    [TestMethod]
    public async Task PushAsksForAPushScope()
    {
        var fake = new FakeBearerRegistry([1]);
        using var client = Client(fake);
        Assert.IsNotNull(await client.HeadBlobAsync(fake.BlobDigest, TestContext.CancellationToken));
        var pushed = await client.PushBlobAsync(new MemoryStream([7, 7, 7]), "application/octet-stream", TestContext.CancellationToken);
        Assert.AreEqual(OciDigest.Of([7, 7, 7]), pushed.Digest);
        Assert.AreEqual(2, fake.TokenRequests, "a pull token, then a pull,push token");
    }

    [TestMethod]
    public async Task CredentialsAreNotSentToAPlainHttpRealm()
    {
        var fake = new FakeBearerRegistry([4, 5]) { User = "bob", Password = "hunter2!", Realm = "http://auth.fake/token" };
        using var client = Client(fake, "bob", "hunter2!");
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.HeadBlobAsync(fake.BlobDigest, TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Refused, e.Kind);
        Assert.AreEqual(0, fake.TokenRequests);
        using var anonymous = Client(fake);
        var anonymousError = await Assert.ThrowsExactlyAsync<RegistryException>(() => anonymous.HeadBlobAsync(fake.BlobDigest, TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unauthorized, anonymousError.Kind, "anonymous token requests may use http; this token service wants credentials");
        Assert.AreEqual(1, fake.TokenRequests);
    }

    [TestMethod]
    public async Task IdentityTokenFromADockerConfigIsExchangedByPost()
    {
        string temp = Path.Combine(Path.GetTempPath(), "imagebuild-identity-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(temp, ".docker"));
        try
        {
            File.WriteAllText(Path.Combine(temp, ".docker", "config.json"),
                "{\"auths\":{\"registry.fake\":{\"auth\":\"MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwOg==\",\"identitytoken\":\"refresh-me\"}}}");
            var fake = new FakeBearerRegistry([8]) { User = "nobody", Password = "unused", RefreshToken = "refresh-me" };
            using var client = new RegistryClient(OciReference.Parse("oci://registry.fake/app"), new RegistryOptions
            {
                Handler = fake,
                Environment = name => name == "HOME" ? temp : null,
            });
            Assert.IsNotNull(await client.HeadBlobAsync(fake.BlobDigest, TestContext.CancellationToken));
            string request = fake.TokenRequestAuthorizations.Single();
            StringAssert.StartsWith(request, "POST ");
            StringAssert.Contains(request, "grant_type=refresh_token");
            StringAssert.Contains(request, "scope=repository%3Aapp%3Apull");
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    [TestMethod]
    public async Task CredentialHelperIdentityTokenIsExchangedByPost()
    {
        string temp = Path.Combine(Path.GetTempPath(), "imagebuild-identity-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(temp, ".docker"));
        try
        {
            string helper = Path.Combine(temp, "docker-credential-tokenhelper");
            File.WriteAllText(helper, "#!/bin/sh\nread server\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"<token>\",\"Secret\":\"from-helper\"}' \"$server\"\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            File.WriteAllText(Path.Combine(temp, ".docker", "config.json"), "{\"credHelpers\":{\"registry.fake\":\"tokenhelper\"}}");
            var fake = new FakeBearerRegistry([9]) { RefreshToken = "from-helper" };
            using var client = new RegistryClient(OciReference.Parse("oci://registry.fake/app"), new RegistryOptions
            {
                Handler = fake,
                Environment = name => name switch { "HOME" => temp, "PATH" => temp, _ => null },
            });
            Assert.IsNotNull(await client.HeadBlobAsync(fake.BlobDigest, TestContext.CancellationToken));
            StringAssert.Contains(fake.TokenRequestAuthorizations.Single(), "refresh_token=from-helper");
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("bad host", "app")]
    [DataRow("registry.fake", "Upper/Case")]
    [DataRow("Registry.Fake", "app")]
    public void ReferenceMadeWithoutParsingIsValidated(string registry, string repository)
    {
        var e = Assert.ThrowsExactly<RegistryException>(() => new RegistryClient(new OciReference(registry, repository), new RegistryOptions()));
        Assert.AreEqual(RegistryFailure.Refused, e.Kind);
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    [TestMethod]
    public void PlainHttpIsRefusedForARemoteRegistry()
    {
        var e = Assert.ThrowsExactly<RegistryException>(() =>
            new RegistryClient(OciReference.Parse("oci://registry.example.com/app"), new RegistryOptions { PlainHttp = true }));
        Assert.AreEqual(RegistryFailure.Refused, e.Kind);
        StringAssert.StartsWith(e.Message, "oci://registry.example.com/app: plain HTTP is refused");
        using var local = new RegistryClient(OciReference.Parse("oci://localhost:5000/app"), new RegistryOptions { PlainHttp = true });
        Assert.AreEqual("oci://localhost:5000/app", local.Repository.ToString());
    }
}
