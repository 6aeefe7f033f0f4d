using System.Text;
using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;
using static ImageBuild.Cli.Tests.Distribution.RegistryCli;

namespace ImageBuild.Cli.Tests.Distribution;

/// <summary>
/// push and pull against a registry with TLS (a CA made by the test) and htpasswd basic auth: credentials from a
/// --registry-config file, the CA from --ca-file; a wrong password and a missing CA each fail in one line that
/// never shows the password.
/// </summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class PushPullTlsAuthTests
{
    private const string User = "builder";
    private const string Password = "pw-Sekr1t-7f3a";

    private static TestRegistry? _registry;

    private static TestRegistry Registry => _registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void StartRegistry(TestContext context) =>
        _registry = TestRegistry.Start(new TestRegistryOptions { Tls = true, Users = new Dictionary<string, string> { [User] = Password } });

    [ClassCleanup]
    public static void StopRegistry() => _registry?.Dispose();

    private static void WriteAuthFile(string path, string password) =>
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["auths"] = new Dictionary<string, object> { [Registry.Host] = new Dictionary<string, string> { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + password)) } },
        }));

    [TestMethod]
    public void PushAndPullWithTheCaAndCredentials()
    {
        using var tmp = new TempDir();
        WriteSparse(tmp["disk.raw"], 16 << 20, (0, 0x42), (8 << 20, 0x43));
        WriteAuthFile(tmp["auth.json"], Password);
        string reference = Registry.Reference("secure/disk:v1");
        string digest = Push(tmp.Path, reference, "--ca-file", Registry.CaFile!, "--registry-config", "auth.json", "-f", "raw", "disk.raw", reference);

        var pulled = Ok(ToolUnderTest.Run(tmp.Path, "pull", "--ca-file", Registry.CaFile!, "--registry-config", "auth.json", Registry.Reference("secure/disk@" + digest), "copy.raw"));
        Assert.AreEqual("copy.raw\n", pulled.StdOut);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["disk.raw"]), File.ReadAllBytes(tmp["copy.raw"]));
        Push(tmp.Path, Registry.Reference("secure/cd:v1"), "--ca-file", Registry.CaFile!, "--registry-config", "auth.json", "--containerdisk", "-f", "raw", "disk.raw", Registry.Reference("secure/cd:v1"));
        Ok(ToolUnderTest.Run(tmp.Path, "pull", "--ca-file", Registry.CaFile!, "--registry-config", "auth.json", Registry.Reference("secure/cd:v1"), "cd.raw"));
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["disk.raw"]), File.ReadAllBytes(tmp["cd.raw"]));
    }

    [TestMethod]
    public void AWrongPasswordOrAnUntrustedCertificateFailsInOneLine()
    {
        using var tmp = new TempDir();
        WriteSparse(tmp["disk.raw"], 1 << 20, (0, 1));
        WriteAuthFile(tmp["bad.json"], "wrong-" + Password);
        WriteAuthFile(tmp["good.json"], Password);
        string reference = Registry.Reference("secure/other:v1");

        var denied = ToolUnderTest.Run(tmp.Path, "push", "--ca-file", Registry.CaFile!, "--registry-config", "bad.json", "-f", "raw", "disk.raw", reference);
        AssertOneLineFailure(denied, Registry.Reference("secure/other"), "401");
        Assert.IsFalse((denied.StdErr + denied.StdOut).Contains(Password, StringComparison.Ordinal), "the password is never shown");

        var untrusted = ToolUnderTest.Run(tmp.Path, "pull", "--registry-config", "good.json", reference, "x.raw");
        AssertOneLineFailure(untrusted, Registry.Reference("secure/other"));
        Assert.IsFalse(File.Exists(tmp["x.raw"]));

        var anonymous = ToolUnderTest.Run(tmp.Path, "pull", "--ca-file", Registry.CaFile!, "--registry-config", "none.json", reference, "x.raw");
        Assert.AreEqual(1, anonymous.ExitCode);
        Assert.IsFalse(File.Exists(tmp["x.raw"]));
    }
}
