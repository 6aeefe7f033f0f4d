using System.Text;
using ImageBuild.Oci.Artifacts;

namespace ImageBuild.Oci.Tests.Artifacts;

[TestClass]
public sealed class OciManifestTests
{
    private static readonly string D1 = OciDigest.Of("one"u8), D2 = OciDigest.Of("two"u8), D3 = OciDigest.Of("three"u8);

    private static OciManifest Sample() => new()
    {
        ArtifactType = OciMediaTypes.StepArtifact,
        Config = new OciDescriptor(OciMediaTypes.StepRecord, D1, 123),
        Layers =
        [
            new OciDescriptor(OciMediaTypes.DiskLayer("qcow2"), D2, 4567)
            {
                Annotations = new Dictionary<string, string> { [OciAnnotations.Title] = "disk.qcow2", [OciAnnotations.FileSize] = "1073741824" },
            },
        ],
        Subject = new OciDescriptor(OciMediaTypes.ImageManifest, D3, 9) { ArtifactType = OciMediaTypes.ImageArtifact },
        Annotations = new Dictionary<string, string> { ["z.last"] = "1", ["a.first"] = "é \"quoted\"", [OciAnnotations.StepKey] = "k" },
    };

    [TestMethod]
    public void ToJsonIsCompactOrderedAndRoundTrips()
    {
        byte[] json = Sample().ToJson();
        string text = Encoding.UTF8.GetString(json);
        StringAssert.StartsWith(text, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"artifactType\":\"application/vnd.imagebuild.step.v1\",\"config\":{\"mediaType\":\"application/vnd.imagebuild.step.record.v1+json\",\"digest\":\"" + D1 + "\",\"size\":123},\"layers\":[");
        StringAssert.Contains(text, "\"application/vnd.imagebuild.disk.qcow2.v1.tar+zstd\"");
        StringAssert.EndsWith(text, "\"annotations\":{\"a.first\":\"é \\\"quoted\\\"\",\"dev.imagebuild.step.key\":\"k\",\"z.last\":\"1\"}}");
        Assert.IsFalse(text.Contains('\n'));

        OciManifest parsed = OciManifest.Parse(json, "test");
        CollectionAssert.AreEqual(json, parsed.ToJson(), "parse and write give the same bytes");
        Assert.AreEqual(OciMediaTypes.StepArtifact, parsed.ArtifactType);
        Assert.AreEqual("disk.qcow2", parsed.Layers[0].Annotations![OciAnnotations.Title]);
        Assert.AreEqual(OciMediaTypes.ImageArtifact, parsed.Subject!.ArtifactType);
    }

    [TestMethod]
    public void EqualManifestsGiveEqualBytesWhateverTheDictionaryOrder()
    {
        var a = Sample() with { Annotations = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" } };
        var b = Sample() with { Annotations = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } };
        CollectionAssert.AreEqual(a.ToJson(), b.ToJson());
    }

    [TestMethod]
    public void MinimalManifestOmitsAbsentMembersAndUnknownPropertiesAreIgnored()
    {
        var m = new OciManifest { Config = new OciDescriptor(OciMediaTypes.EmptyJson, D1, 2), Layers = [] };
        Assert.AreEqual("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + D1 + "\",\"size\":2},\"layers\":[]}",
            Encoding.UTF8.GetString(m.ToJson()));
        string withExtras = $$"""
            { "schemaVersion": 2, "config": { "mediaType": "a/b", "digest": "{{D1}}", "size": 2, "urls": ["x"] },
              "layers": [ { "mediaType": "a/c", "digest": "{{D2}}", "size": 0, "platform": {"os": "linux"} } ], "future": true }
            """;
        OciManifest parsed = OciManifest.Parse(Encoding.UTF8.GetBytes(withExtras), "test");
        Assert.AreEqual(OciMediaTypes.ImageManifest, parsed.MediaType, "a manifest without mediaType is an image manifest");
        Assert.AreEqual(1, parsed.Layers.Count);
    }

    private static void AssertRefused(string json, string fragment)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => OciManifest.Parse(Encoding.UTF8.GetBytes(json), "oci://reg/repo:tag"));
        StringAssert.StartsWith(e.Message, "oci://reg/repo:tag: ");
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
        StringAssert.Contains(e.Message, fragment);
    }

    private static string Manifest(string schemaVersion = "2", string mediaType = "\"application/vnd.oci.image.manifest.v1+json\"",
        string configDigest = "", string configSize = "2", string layers = "[]") =>
        $"{{\"schemaVersion\":{schemaVersion},\"mediaType\":{mediaType},\"config\":{{\"mediaType\":\"a/b\",\"digest\":\"{(configDigest.Length > 0 ? configDigest : D1)}\",\"size\":{configSize}}},\"layers\":{layers}}}";

    [TestMethod]
    [DataRow("1", DisplayName = "schemaVersion 1")]
    [DataRow("3", DisplayName = "schemaVersion 3")]
    [DataRow("\"2\"", DisplayName = "schemaVersion a string")]
    [DataRow("2.5", DisplayName = "schemaVersion fractional")]
    public void WrongSchemaVersionIsRefused(string version) => AssertRefused(Manifest(schemaVersion: version), "schemaVersion");

    [TestMethod]
    [DataRow("sha256:ABCDEF0000000000000000000000000000000000000000000000000000000000", DisplayName = "upper-case hex")]
    [DataRow("sha256:abc", DisplayName = "short")]
    [DataRow("sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", DisplayName = "other algorithm")]
    [DataRow("../../etc/passwd", DisplayName = "path")]
    public void BadDigestIsRefused(string digest) => AssertRefused(Manifest(configDigest: digest), "digest");

    [TestMethod]
    [DataRow("-1")]
    [DataRow("1.5")]
    [DataRow("\"12\"")]
    [DataRow("99999999999999999999")]
    public void BadSizeIsRefused(string size) => AssertRefused(Manifest(configSize: size), "size");

    [TestMethod]
    public void TooManyLayersAreRefused()
    {
        string layer = $"{{\"mediaType\":\"a/b\",\"digest\":\"{D2}\",\"size\":1}}";
        string layers = "[" + string.Join(',', Enumerable.Repeat(layer, OciManifest.MaxLayers + 1)) + "]";
        AssertRefused(Manifest(layers: layers), "more than 10000");
        string ok = "[" + string.Join(',', Enumerable.Repeat(layer, OciManifest.MaxLayers)) + "]";
        Assert.AreEqual(OciManifest.MaxLayers, OciManifest.Parse(Encoding.UTF8.GetBytes(Manifest(layers: ok)), "t").Layers.Count);
    }

    [TestMethod]
    public void OtherMalformedManifestsAreRefused()
    {
        AssertRefused("not json", "not valid JSON");
        AssertRefused("[]", "not a JSON object");
        AssertRefused(Manifest(mediaType: "\"application/vnd.oci.image.index.v1+json\""), "not an OCI image manifest");
        AssertRefused(Manifest(mediaType: "\"application/vnd.docker.distribution.manifest.v2+json\""), "not an OCI image manifest");
        AssertRefused(Manifest(layers: "{}"), "layers is not a JSON array");
        AssertRefused(Manifest(layers: "[{\"digest\":\"" + D2 + "\",\"size\":1}]"), "layers[0] has no mediaType");
        AssertRefused(Manifest(layers: "[{\"mediaType\":\"no-slash\",\"digest\":\"" + D2 + "\",\"size\":1}]"), "not a media type");
        AssertRefused(Manifest(layers: "[{\"mediaType\":\"a/b\",\"digest\":\"" + D2 + "\",\"size\":1,\"annotations\":{\"k\":1}}]"), "not a string");
        AssertRefused("{\"schemaVersion\":2,\"schemaVersion\":2,\"config\":{},\"layers\":[]}", "repeats a key");
        AssertRefused("{\"schemaVersion\":2,\"layers\":[]}", "no config");
        AssertRefused(new string('[', 100) + new string(']', 100), "not valid JSON");
        byte[] big = new byte[OciManifest.MaxJsonSize + 1];
        Assert.ThrowsExactly<InvalidDataException>(() => OciManifest.Parse(big, "t"));
    }

    [TestMethod]
    public void DiskLayerMediaTypesNameTheFormat()
    {
        Assert.AreEqual("application/vnd.imagebuild.disk.vmdk.v1.tar+zstd", OciMediaTypes.DiskLayer("vmdk"));
        Assert.AreEqual("qcow2", OciMediaTypes.DiskLayerFormat(OciMediaTypes.DiskLayer("qcow2")));
        Assert.IsNull(OciMediaTypes.DiskLayerFormat(OciMediaTypes.LayerTarGzip));
        foreach (string bad in new[] { "", "QCOW2", "a.b", "a/b", "raw+x" })
            Assert.ThrowsExactly<ArgumentException>(() => OciMediaTypes.DiskLayer(bad));
    }
}
