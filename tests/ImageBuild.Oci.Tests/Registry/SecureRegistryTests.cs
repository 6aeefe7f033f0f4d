using System.Text;
using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Registry;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Registry;

/// <summary>A real registry behind TLS (a CA made for the test) and htpasswd basic auth; credentials from every source.</summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class SecureRegistryTests
{
    private const string User = "alice";
    private const string Password = "s3cret-Pa55word";
    private static TestRegistry? s_registry;
    private string _temp = null!;

    public TestContext TestContext { get; set; } = null!;

    private static TestRegistry Registry => s_registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void Start(TestContext _) =>
        s_registry = TestRegistry.Start(new TestRegistryOptions { Tls = true, Users = new Dictionary<string, string> { [User] = Password } });

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    [TestInitialize]
    public void MakeTemp()
    {
        _temp = Path.Combine(Path.GetTempPath(), "imagebuild-credentials-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
    }

    [TestCleanup]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    private static RegistryClient Client(Dictionary<string, string?> environment, string? authFile = null, string? caFile = "ca", int maxAttempts = 5) =>
        new(OciReference.Parse(Registry.Reference("secure/repo")), new RegistryOptions
        {
            CaFile = caFile == "ca" ? Registry.CaFile : caFile,
            AuthFile = authFile,
            Environment = name => environment.TryGetValue(name, out var v) ? v : null,
            MaxAttempts = maxAttempts,
            InitialBackoff = TimeSpan.FromMilliseconds(1),
        });

    private static Dictionary<string, string?> Env(params (string Name, string? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value);

    private async Task AssertWorks(RegistryClient client)
    {
        var data = Encoding.UTF8.GetBytes("pushed with credentials " + TestContext.TestName);
        var pushed = await client.PushBlobAsync(new MemoryStream(data), "application/octet-stream", TestContext.CancellationToken);
        var destination = new WriteOnlyStream();
        await client.PullBlobAsync(pushed, destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(data, destination.ToArray());
    }

    private async Task<RegistryException> AssertUnauthorized(RegistryClient client)
    {
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.HeadBlobAsync(OciDigest.Of([1]), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unauthorized, e.Kind, e.Message);
        Assert.AreEqual(401, e.StatusCode, e.Message);
        StringAssert.StartsWith(e.Message, "oci://" + Registry.Host + "/secure/repo: ");
        Assert.IsFalse(e.Message.Contains('\n'));
        Assert.IsFalse(e.Message.Contains(Password), e.Message);
        Assert.IsFalse(e.ToString().Contains(Password), "not in the exception's text either");
        return e;
    }

    [TestMethod]
    public async Task EnvironmentCredentialsOverTls()
    {
        using var client = Client(Env((CredentialResolver.UsernameVariable, User), (CredentialResolver.PasswordVariable, Password)));
        await AssertWorks(client);
    }

    [TestMethod]
    public async Task WrongPasswordIsUnauthorizedWithoutShowingIt()
    {
        using var client = Client(Env((CredentialResolver.UsernameVariable, User), (CredentialResolver.PasswordVariable, Password + "x")));
        var e = await AssertUnauthorized(client);
        StringAssert.Contains(e.Message, CredentialResolver.UsernameVariable);
    }

    [TestMethod]
    public async Task NoCredentialsIsUnauthorized()
    {
        using var client = Client(Env(("HOME", _temp)));
        var e = await AssertUnauthorized(client);
        StringAssert.Contains(e.Message, "anonymous");
    }

    [TestMethod]
    public async Task WithoutTheCaTheCertificateIsRefused()
    {
        using var client = Client(Env((CredentialResolver.UsernameVariable, User), (CredentialResolver.PasswordVariable, Password)), caFile: null);
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.HeadBlobAsync(OciDigest.Of([1]), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unreachable, e.Kind);
        StringAssert.Contains(e.Message, "TLS");
        StringAssert.Contains(e.Message, "CaFile");
        Assert.IsFalse(e.Message.Contains("attempts"), "not retried: " + e.Message);
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    [TestMethod]
    public async Task AnotherCaIsRefused()
    {
        string other = Path.Combine(_temp, "other");
        Directory.CreateDirectory(other);
        var (otherCa, _, _) = TestCertificates.Write(other);
        using var client = Client(Env((CredentialResolver.UsernameVariable, User), (CredentialResolver.PasswordVariable, Password)), caFile: otherCa, maxAttempts: 1);
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.HeadBlobAsync(OciDigest.Of([1]), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unreachable, e.Kind);
    }

    [TestMethod]
    public void MissingCaFileIsRefused()
    {
        var e = Assert.ThrowsExactly<RegistryException>(() => Client(Env(), caFile: Path.Combine(_temp, "absent.pem")));
        Assert.AreEqual(RegistryFailure.Refused, e.Kind);
        StringAssert.Contains(e.Message, "absent.pem");
    }

    [TestMethod]
    public async Task DockerConfigWithAuth()
    {
        string docker = Path.Combine(_temp, ".docker");
        Directory.CreateDirectory(docker);
        string auth = Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password));
        File.WriteAllText(Path.Combine(docker, "config.json"),
            "{\"auths\":{\"https://" + Registry.Host + "\":{\"auth\":\"" + auth + "\"},\"other.example\":{\"auth\":\"eDp5\"}}}");
        using var client = Client(Env(("HOME", _temp)));
        await AssertWorks(client);
    }

    [TestMethod]
    public async Task DockerConfigDirectoryFromEnvironment()
    {
        string docker = Path.Combine(_temp, "dockercfg");
        Directory.CreateDirectory(docker);
        string auth = Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password));
        File.WriteAllText(Path.Combine(docker, "config.json"), "{\"auths\":{\"" + Registry.Host + "\":{\"auth\":\"" + auth + "\"}}}");
        using var client = Client(Env(("HOME", _temp), ("DOCKER_CONFIG", docker)));
        await AssertWorks(client);
    }

    [TestMethod]
    public async Task PodmanAuthFileFromEnvironmentWithRepositoryKey()
    {
        string file = Path.Combine(_temp, "auth.json");
        string auth = Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password));
        File.WriteAllText(file, "{\"auths\":{\"" + Registry.Host + "\":{\"auth\":\"eDp5\"},\"" + Registry.Host + "/secure\":{\"auth\":\"" + auth + "\"}}}");
        using var client = Client(Env(("HOME", _temp), ("REGISTRY_AUTH_FILE", file)));
        await AssertWorks(client);
    }

    [TestMethod]
    public async Task PodmanRuntimeAuthFileWithUsernameAndPassword()
    {
        string dir = Path.Combine(_temp, "run", "containers");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "auth.json"), "{\"auths\":{\"" + Registry.Host + "\":{\"username\":\"" + User + "\",\"password\":\"" + Password + "\"}}}");
        using var client = Client(Env(("HOME", _temp), ("XDG_RUNTIME_DIR", Path.Combine(_temp, "run"))));
        await AssertWorks(client);
    }

    [TestMethod]
    public async Task ExplicitAuthFileComesBeforeTheOthers()
    {
        string good = Path.Combine(_temp, "explicit.json");
        File.WriteAllText(good, "{\"auths\":{\"" + Registry.Host + "\":{\"username\":\"" + User + "\",\"password\":\"" + Password + "\"}}}");
        string bad = Path.Combine(_temp, "bad.json");
        File.WriteAllText(bad, "{\"auths\":{\"" + Registry.Host + "\":{\"username\":\"" + User + "\",\"password\":\"wrong\"}}}");
        using (var client = Client(Env(("HOME", _temp), ("REGISTRY_AUTH_FILE", bad)), authFile: good))
            await AssertWorks(client);
        using (var client = Client(Env(("HOME", _temp), ("REGISTRY_AUTH_FILE", good)), authFile: bad))
        {
            var e = await AssertUnauthorized(client);
            StringAssert.Contains(e.Message, bad);
        }
    }

    [TestMethod]
    public async Task EnvironmentComesBeforeFiles()
    {
        string good = Path.Combine(_temp, "good.json");
        File.WriteAllText(good, "{\"auths\":{\"" + Registry.Host + "\":{\"username\":\"" + User + "\",\"password\":\"" + Password + "\"}}}");
        using var client = Client(Env((CredentialResolver.UsernameVariable, User), (CredentialResolver.PasswordVariable, "wrong")), authFile: good);
        await AssertUnauthorized(client);
    }

    [TestMethod]
    public async Task MissingExplicitAuthFileIsAnError()
    {
        using var client = Client(Env(("HOME", _temp)), authFile: Path.Combine(_temp, "absent.json"));
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.HeadBlobAsync(OciDigest.Of([1]), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unauthorized, e.Kind);
        StringAssert.Contains(e.Message, "absent.json");
    }

    [TestMethod]
    public async Task CredentialHelperScript()
    {
        string bin = WriteHelper("imagebuildtest", $$"""
            #!/bin/sh
            read server
            if [ "$server" = "{{Registry.Host}}" ]; then
              printf '{"ServerURL":"%s","Username":"{{User}}","Secret":"{{Password}}"}' "$server"
            else
              echo "credentials not found in native keychain"; exit 1
            fi
            """);
        string docker = Path.Combine(_temp, ".docker");
        Directory.CreateDirectory(docker);
        File.WriteAllText(Path.Combine(docker, "config.json"), "{\"auths\":{},\"credHelpers\":{\"" + Registry.Host + "\":\"imagebuildtest\"}}");
        using var client = Client(Env(("HOME", _temp), ("PATH", bin)));
        await AssertWorks(client);
    }

    [TestMethod]
    public async Task CredentialStoreWithoutTheHostMeansAnonymous()
    {
        string bin = WriteHelper("emptystore", """
            #!/bin/sh
            echo "credentials not found in native keychain"
            exit 1
            """);
        string docker = Path.Combine(_temp, ".docker");
        Directory.CreateDirectory(docker);
        File.WriteAllText(Path.Combine(docker, "config.json"), """{"credsStore":"emptystore"}""");
        using var client = Client(Env(("HOME", _temp), ("PATH", bin)));
        var e = await AssertUnauthorized(client);
        StringAssert.Contains(e.Message, "anonymous");
    }

    [TestMethod]
    public async Task CredentialHelperMissingFromPath()
    {
        string docker = Path.Combine(_temp, ".docker");
        Directory.CreateDirectory(docker);
        File.WriteAllText(Path.Combine(docker, "config.json"), "{\"credHelpers\":{\"" + Registry.Host + "\":\"absenthelper\"}}");
        using var client = Client(Env(("HOME", _temp), ("PATH", _temp)));
        var e = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.HeadBlobAsync(OciDigest.Of([1]), TestContext.CancellationToken));
        Assert.AreEqual(RegistryFailure.Unauthorized, e.Kind);
        StringAssert.Contains(e.Message, "docker-credential-absenthelper");
    }

    private string WriteHelper(string name, string script)
    {
        string bin = Path.Combine(_temp, "bin");
        Directory.CreateDirectory(bin);
        string path = Path.Combine(bin, "docker-credential-" + name);
        File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }
}
