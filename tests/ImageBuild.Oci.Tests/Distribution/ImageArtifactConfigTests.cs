using System.Text;
using ImageBuild.Oci.Distribution;

namespace ImageBuild.Oci.Tests.Distribution;

/// <summary>The configs of published images: deterministic JSON, and a parser that refuses what a pull must not use.</summary>
[TestClass]
public sealed class ImageArtifactConfigTests
{
    [TestMethod]
    public void ArtifactConfigIsSortedCompactJsonAndRoundTrips()
    {
        var config = new ImageArtifactConfig("vmdk", 1L << 30, ["disk.vmdk", "disk-flat.vmdk"]);
        string json = Encoding.UTF8.GetString(config.ToJson());
        Assert.AreEqual("""{"files":["disk.vmdk","disk-flat.vmdk"],"format":"vmdk","virtualSize":1073741824}""", json);
        var back = ImageArtifactConfig.Parse(config.ToJson(), "t");
        Assert.AreEqual(config.Format, back.Format);
        Assert.AreEqual(config.VirtualSize, back.VirtualSize);
        CollectionAssert.AreEqual(config.Files.ToList(), back.Files.ToList());
    }

    [TestMethod]
    [DataRow("""{"files":["../x"],"format":"raw","virtualSize":1}""", "has a directory part")]
    [DataRow("""{"files":["/etc/passwd"],"format":"raw","virtualSize":1}""", "has a directory part")]
    [DataRow("""{"files":[".."],"format":"raw","virtualSize":1}""", "is no file")]
    [DataRow("""{"files":["a","a"],"format":"raw","virtualSize":1}""", "twice")]
    [DataRow("""{"files":[],"format":"raw","virtualSize":1}""", "names 0 files")]
    [DataRow("""{"files":["a"],"format":"Raw!","virtualSize":1}""", "invalid format")]
    [DataRow("""{"files":["a"],"format":"raw","virtualSize":-1}""", "no valid virtualSize")]
    [DataRow("""{"files":["a"],"format":"raw"}""", "no valid virtualSize")]
    [DataRow("""[1,2]""", "not a JSON object")]
    [DataRow("""{"files":""", "not valid JSON")]
    public void ArtifactConfigRefusesWhatAPullMustNotUse(string json, string message)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageArtifactConfig.Parse(Encoding.UTF8.GetBytes(json), "oci://r/x:1"));
        StringAssert.StartsWith(e.Message, "oci://r/x:1: the image config ");
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void ContainerDiskConfigIsDeterministicAndNamesTheLayer()
    {
        string diffId = "sha256:" + new string('a', 64);
        var config = new ContainerDiskConfig("amd64", [diffId]);
        Assert.AreEqual(
            "{\"architecture\":\"amd64\",\"config\":{},\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[\"" + diffId + "\"],\"type\":\"layers\"}}",
            Encoding.UTF8.GetString(config.ToJson()));
        var back = ContainerDiskConfig.Parse(config.ToJson(), "t");
        Assert.AreEqual("amd64", back.Architecture);
        CollectionAssert.AreEqual(new[] { diffId }, back.DiffIds.ToList());
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ContainerDiskConfig.Parse("""{"rootfs":{"type":"layers","diff_ids":["md5:1"]}}"""u8, "t"));
        StringAssert.Contains(e.Message, "no sha256 digest");
        Assert.IsFalse(ContainerDisk.Accepts("vmdk"));
        Assert.IsTrue(ContainerDiskConfig.IsValidArchitecture("arm64"));
        Assert.IsFalse(ContainerDiskConfig.IsValidArchitecture("x86 64"));
    }
}
