using System.Text.Json;
using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qed.QedTestSupport;

namespace ImageBuild.Engine.Tests.Qed;

/// <summary>Images qemu wrote read exactly, and block status is qemu's.</summary>
[TestClass]
public sealed class QedReadTests
{
    private static readonly string[] Writes =
    [
        "write -P 1 0 200k", "write -z 300k 64k", "write -P 2 1M 64k", "write -P 3 2M 3000", "write -P 4 5M 1M",
        "write -z 5M 64k", "write -P 5 7M 512",
    ];

    [TestMethod]
    [RequiresQemu]
    [DataRow("")]
    [DataRow("cluster_size=4096,table_size=2")]
    [DataRow("cluster_size=2M,table_size=2")]
    public void ReadsAndBlockStatusMatchQemu(string options)
    {
        using var tmp = new TempDir();
        string img = tmp["r.qed"];
        CreateQemu(img, 8 << 20, options);
        QemuIo(img, Writes);
        using var dev = Open(img);
        Assert.AreEqual(QemuRawMd5(tmp, img), Md5OfDevice(dev));
        AssertMapMatchesQemu(dev, img);
    }

    [TestMethod]
    [RequiresQemu]
    public void BackingChainsReadThrough()
    {
        using var tmp = new TempDir();
        CreateQemu(tmp["base.qed"], 8 << 20, "cluster_size=4096");
        QemuIo(tmp["base.qed"], "write -P 7 0 8M", "write -z 1M 64k");
        CreateQemu(tmp["mid.qed"], null, "", tmp["base.qed"], "qed");
        QemuIo(tmp["mid.qed"], "write -P 8 512k 100k", "write -z 3M 64k");
        CreateQemu(tmp["top.qed"], 12 << 20, "cluster_size=4096", tmp["mid.qed"], "qed");
        QemuIo(tmp["top.qed"], "write -P 9 1000k 5k", "write -P 10 9M 5k");
        using var dev = Open(tmp["top.qed"]);
        Assert.IsNotNull(dev.Backing);
        Assert.IsNull(dev.BackingFormat, "qed records only a raw backing format");
        Assert.AreEqual(QemuRawMd5(tmp, tmp["top.qed"]), Md5OfDevice(dev));
        AssertMapMatchesQemu(dev, tmp["top.qed"]);
    }

    [TestMethod]
    [RequiresQemu]
    public void ARawBackingFileIsNotProbed()
    {
        using var tmp = new TempDir();
        // A raw backing file whose content looks like a qcow2 header must still be read as raw.
        CreateQemu(tmp["fake.qed"], 1 << 20, "");
        File.Copy(tmp["fake.qed"], tmp["b.raw"]);
        CreateQemu(tmp["o.qed"], null, "", tmp["b.raw"], "raw");
        using var dev = Open(tmp["o.qed"]);
        Assert.AreEqual("raw", dev.BackingFormat);
        Assert.AreEqual("raw", dev.Backing!.FormatName);
        Assert.AreEqual(QemuRawMd5(tmp, tmp["o.qed"]), Md5OfDevice(dev));
    }

    /// <summary>Compares our block status walk with qemu-img map's JSON, extent by extent.</summary>
    internal static void AssertMapMatchesQemu(BlockDevice dev, string img)
    {
        var expected = new List<string>();
        using (var doc = JsonDocument.Parse(QemuOracle.ImgOk("map", "--output=json", img)))
        {
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                string off = e.TryGetProperty("offset", out var o) ? o.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
                expected.Add($"{e.GetProperty("start").GetInt64()} {e.GetProperty("length").GetInt64()} {e.GetProperty("depth").GetInt32()} " +
                             $"{e.GetProperty("present").GetBoolean()} {e.GetProperty("zero").GetBoolean()} {e.GetProperty("data").GetBoolean()} {off}");
            }
        }
        var actual = new List<string>();
        foreach (var m in ImageBuild.Engine.Operations.ImageMapper.Map(dev, 0, null, humanCoalescing: false).Where(m => m.Length > 0))
            actual.Add($"{m.Start} {m.Length} {m.Depth} {m.Present} {m.Zero} {m.Data} {(m.Offset is { } x ? x.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")}");
        CollectionAssert.AreEqual(expected, actual, string.Join("\n", actual));
    }
}
