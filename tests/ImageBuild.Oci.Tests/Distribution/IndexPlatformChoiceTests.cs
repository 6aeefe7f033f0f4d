using System.Text;
using ImageBuild.Oci.Distribution;

namespace ImageBuild.Oci.Tests.Distribution;

/// <summary>Choosing a platform's manifest from an untrusted image index.</summary>
[TestClass]
public sealed class IndexPlatformChoiceTests
{
    private static readonly string A = "sha256:" + new string('a', 64), B = "sha256:" + new string('b', 64);

    private static string Entry(string digest, string? arch, string mediaType = "application/vnd.oci.image.manifest.v1+json") =>
        "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":10" +
        (arch is null ? "" : ",\"platform\":{\"architecture\":\"" + arch + "\",\"os\":\"linux\"}") + "}";

    private static byte[] Index(params string[] entries) => Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"manifests\":[" + string.Join(',', entries) + "]}");

    [TestMethod]
    public void TheWantedArchitectureOrTheOnlyManifestWithoutPlatform()
    {
        Assert.AreEqual(B, IndexPlatformChoice.Choose(Index(Entry(A, "arm64"), Entry(B, "amd64")), "amd64", "i"));
        Assert.AreEqual(A, IndexPlatformChoice.Choose(Index(Entry(A, "arm64"), Entry(B, "amd64")), "arm64", "i"));
        Assert.AreEqual(A, IndexPlatformChoice.Choose(Index(Entry(A, null)), "amd64", "i"));
        // docker manifests in an index are not ours to read: skipped
        Assert.AreEqual(B, IndexPlatformChoice.Choose(Index(Entry(A, "amd64", "application/vnd.docker.distribution.manifest.v2+json"), Entry(B, "amd64")), "amd64", "i"));
    }

    [TestMethod]
    public void NoFittingManifestNamesWhatThereIs()
    {
        var e = Assert.ThrowsExactly<DistributionException>(() => IndexPlatformChoice.Choose(Index(Entry(A, "arm64")), "amd64", "oci://r/x:1"));
        Assert.AreEqual("oci://r/x:1: the image index has no OCI manifest for linux/amd64 (it has: linux/arm64)", e.Message);
        Assert.ThrowsExactly<DistributionException>(() => IndexPlatformChoice.Choose(Index(Entry(A, null), Entry(B, null)), "amd64", "i"));
    }

    [TestMethod]
    [DataRow("{\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:XYZ\"}]}", "valid sha256 digest")]
    [DataRow("{\"schemaVersion\":2}", "has no manifests")]
    [DataRow("[]", "has no manifests")]
    [DataRow("{\"manifests\":[", "not valid JSON")]
    public void ABrokenIndexIsRefusedInOneLine(string json, string message)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IndexPlatformChoice.Choose(Encoding.UTF8.GetBytes(json), "amd64", "oci://r/x:1"));
        StringAssert.StartsWith(e.Message, "oci://r/x:1: the image index ");
        StringAssert.Contains(e.Message, message);
    }
}
