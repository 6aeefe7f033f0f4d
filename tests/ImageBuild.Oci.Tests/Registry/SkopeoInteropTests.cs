using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Registry;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Registry;

/// <summary>What the client pushes is ordinary OCI: skopeo reads and copies it, and the client reads what skopeo pushed.</summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
[RequiresTool("skopeo")]
public sealed class SkopeoInteropTests
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private static TestRegistry? s_registry;
    private string _temp = null!;

    public TestContext TestContext { get; set; } = null!;

    private static TestRegistry Registry => s_registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void Start(TestContext _) => s_registry = TestRegistry.Start(new TestRegistryOptions());

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    [TestInitialize]
    public void MakeTemp()
    {
        _temp = Path.Combine(Path.GetTempPath(), "imagebuild-skopeo-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
    }

    [TestCleanup]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    private static RegistryClient Client(string repository) =>
        new(OciReference.Parse(Registry.Reference(repository)), new RegistryOptions { PlainHttp = true, Environment = _ => null, ChunkSize = 128 << 10 });

    [TestMethod]
    public async Task SkopeoReadsWhatWasPushedAndTheClientReadsWhatSkopeoCopied()
    {
        using var client = Client("interop/pushed");
        await client.PushBlobAsync(new MemoryStream(TestData.EmptyConfig), "application/vnd.oci.empty.v1+json", TestContext.CancellationToken);
        var layerData = TestData.Bytes(500_000, 40);
        var layer = await client.PushBlobAsync(new ForwardOnlyStream(new MemoryStream(layerData)), "application/octet-stream", TestContext.CancellationToken);
        var manifest = TestData.Manifest((layer.Digest, layer.Size));
        string digest = await client.PutManifestAsync("v1", manifest, ManifestType, TestContext.CancellationToken);

        string source = "docker://" + Registry.Host + "/interop/pushed:v1";
        var raw = ExternalTools.RunOk("skopeo", _temp, "inspect", "--raw", "--tls-verify=false", source);
        Assert.AreEqual(System.Text.Encoding.UTF8.GetString(manifest), raw.StdOut.Trim());

        string layout = Path.Combine(_temp, "layout");
        ExternalTools.RunOk("skopeo", _temp, "copy", "--insecure-policy", "--src-tls-verify=false", source, "oci:" + layout + ":v1");
        CollectionAssert.AreEqual(layerData, File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", layer.Digest[7..])));
        CollectionAssert.AreEqual(manifest, File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", digest[7..])));

        ExternalTools.RunOk("skopeo", _temp, "copy", "--insecure-policy", "--src-tls-verify=false", "--dest-tls-verify=false",
            "oci:" + layout + ":v1", "docker://" + Registry.Host + "/interop/copied:v2");
        using var copied = Client("interop/copied");
        var got = await copied.GetManifestAsync("v2", TestContext.CancellationToken);
        Assert.IsNotNull(got);
        Assert.AreEqual(digest, got.Digest, "skopeo kept the manifest byte for byte");
        var destination = new WriteOnlyStream();
        await copied.PullBlobAsync(new OciDescriptor("application/octet-stream", layer.Digest, layer.Size), destination, TestContext.CancellationToken);
        CollectionAssert.AreEqual(layerData, destination.ToArray());
        CollectionAssert.AreEqual(new[] { "v2" }, (await copied.ListTagsAsync(TestContext.CancellationToken)).ToArray());
    }
}
