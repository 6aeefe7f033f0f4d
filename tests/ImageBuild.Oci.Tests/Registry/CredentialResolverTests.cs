using System.Text;
using ImageBuild.Oci.Registry;

namespace ImageBuild.Oci.Tests.Registry;

/// <summary>How credential files' keys are matched to a registry (docker's and podman's rules).</summary>
[TestClass]
public sealed class CredentialResolverTests
{
    private string _temp = null!;

    [TestInitialize]
    public void MakeTemp()
    {
        _temp = Path.Combine(Path.GetTempPath(), "imagebuild-creds-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
    }

    [TestCleanup]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    private RegistryCredential? Find(string reference, string json)
    {
        string file = Path.Combine(_temp, "auth.json");
        File.WriteAllText(file, json);
        var options = new RegistryOptions { AuthFile = file, Environment = _ => null };
        return new CredentialResolver(OciReference.Parse(reference), options).Find();
    }

    private static string Auth(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

    [TestMethod]
    [DataRow("https://index.docker.io/v1/")]
    [DataRow("docker.io")]
    [DataRow("index.docker.io")]
    public void DockerHubKeys(string key)
    {
        var found = Find("oci://docker.io/library/x", "{\"auths\":{\"" + key + "\":{\"auth\":\"" + Auth("u", "p:w") + "\"}}}");
        Assert.IsNotNull(found);
        Assert.AreEqual("u", found.Username);
        Assert.AreEqual("p:w", found.Secret, "only the first colon separates");
    }

    [TestMethod]
    [DataRow("https://reg.example:5000/v2/")]
    [DataRow("http://reg.example:5000")]
    [DataRow("reg.example:5000")]
    [DataRow("REG.example:5000")]
    public void KeysWithAndWithoutScheme(string key) =>
        Assert.AreEqual("u", Find("oci://reg.example:5000/a/b", "{\"auths\":{\"" + key + "\":{\"auth\":\"" + Auth("u", "p") + "\"}}}")?.Username);

    [TestMethod]
    public void OtherHostsAndPortsDoNotMatch()
    {
        Assert.IsNull(Find("oci://reg.example:5000/a", "{\"auths\":{\"reg.example\":{\"auth\":\"" + Auth("u", "p") + "\"}}}"));
        Assert.IsNull(Find("oci://reg.example/a", "{\"auths\":{\"reg.example.org\":{\"auth\":\"" + Auth("u", "p") + "\"}}}"));
    }

    [TestMethod]
    public void MostSpecificRepositoryKeyWins()
    {
        string json = "{\"auths\":{\"reg.example\":{\"auth\":\"" + Auth("host", "p") + "\"},\"reg.example/team\":{\"auth\":\"" + Auth("team", "p")
            + "\"},\"reg.example/team/app\":{\"auth\":\"" + Auth("app", "p") + "\"}}}";
        Assert.AreEqual("app", Find("oci://reg.example/team/app", json)?.Username);
        Assert.AreEqual("team", Find("oci://reg.example/team/other", json)?.Username);
        Assert.AreEqual("host", Find("oci://reg.example/elsewhere", json)?.Username);
    }

    [TestMethod]
    public void MalformedFileIsAnErrorNamingTheFile()
    {
        var e = Assert.ThrowsExactly<RegistryException>(() => Find("oci://reg.example/a", "{not json"));
        Assert.AreEqual(RegistryFailure.Unauthorized, e.Kind);
        StringAssert.Contains(e.Message, "auth.json");
    }

    [TestMethod]
    public void CredentialsNeverShowInText()
    {
        var found = Find("oci://reg.example/a", "{\"auths\":{\"reg.example\":{\"username\":\"someone\",\"password\":\"topsecret\"}}}");
        Assert.IsNotNull(found);
        Assert.IsFalse(found.ToString().Contains("topsecret"));
        Assert.IsFalse(found.ToString().Contains("someone"));
    }
}
