using System.Text.Json.Nodes;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>
/// COWD (VMware 3 / vmfsSparse) and seSparse extents through the device: the bytes, virtual size, cluster size and
/// format-specific info qemu-img reports for the same files.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VmdkDeviceGrainMapTests
{
    [TestMethod]
    public void ACowdFileOnItsOwnReadsAsInQemu()
    {
        using var tmp = new TempDir();
        string path = tmp["c.vmdk"];
        new CowdImageBuilder { Grains = [0, 3, 2047] }.Write(path);
        AssertSameAsQemu(tmp, path);
    }

    [TestMethod]
    public void ACowdVmfsSparseExtentReadsAsInQemu()
    {
        using var tmp = new TempDir();
        new CowdImageBuilder { Grains = [0, 5, 2047], WithDescriptorKeys = false }.Write(tmp["d-delta.vmdk"]);
        File.WriteAllText(tmp["d.vmdk"], "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"vmfsSparse\"\n\n" +
            "# Extent description\nRW 100 VMFSSPARSE \"d-delta.vmdk\"\n");
        AssertSameAsQemu(tmp, tmp["d.vmdk"]);
    }

    [TestMethod]
    public void ASeSparseExtentReadsAsInQemuAndIsNeverWritable()
    {
        using var tmp = new TempDir();
        new SeSparseImageBuilder().Write(tmp["s-sesparse.vmdk"], tmp["s.vmdk"]);
        AssertSameAsQemu(tmp, tmp["s.vmdk"]);
        var e = Assert.ThrowsExactly<ImageException>(() =>
            ImageOpener.Open(ImageContext.CreateDefault(), tmp["s.vmdk"], new OpenOptions { Format = "vmdk", Writable = true }));
        Assert.AreEqual($"Could not open '{tmp["s.vmdk"]}': No write support for seSparse images available", e.Message);
    }

    private static void AssertSameAsQemu(TempDir tmp, string path)
    {
        QemuOracle.ImgOk("convert", "-O", "raw", path, tmp["qemu.raw"]);
        var qemu = JsonNode.Parse(QemuOracle.ImgOk("info", "--output=json", path))!;
        using var dev = ImageOpener.Open(ImageContext.CreateDefault(), path, new OpenOptions());
        Assert.AreEqual("vmdk", dev.FormatName);
        Assert.AreEqual(qemu["virtual-size"]!.GetValue<long>(), dev.VirtualSize);
        Assert.AreEqual(qemu["cluster-size"]?.GetValue<long>() ?? 0, dev.ClusterSize);
        var ours = new byte[dev.VirtualSize];
        dev.Read(0, ours);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["qemu.raw"]), ours, "the disk's bytes");
        var data = qemu["format-specific"]!["data"]!;
        var info = dev.GetSpecificInfo()!.Data;
        Assert.AreEqual(data["create-type"]!.GetValue<string>(), info["create-type"]);
        Assert.AreEqual(data["cid"]!.GetValue<long>(), info["cid"]);
        var extents = (List<object>)info["extents"]!;
        var qemuExtents = data["extents"]!.AsArray();
        Assert.HasCount(qemuExtents.Count, extents);
        for (int i = 0; i < extents.Count; i++)
        {
            var o = (QapiObject)extents[i];
            foreach (var (key, value) in qemuExtents[i]!.AsObject())
                Assert.AreEqual(value!.ToString(), Convert.ToString(o[key], System.Globalization.CultureInfo.InvariantCulture)?.Replace("True", "true"), $"extent {i} {key}");
            Assert.HasCount(qemuExtents[i]!.AsObject().Count, o, $"extent {i}: the same keys");
        }
    }
}
