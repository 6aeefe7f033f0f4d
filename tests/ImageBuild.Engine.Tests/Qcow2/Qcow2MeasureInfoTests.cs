using System.Text.Json;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.Qcow2;
using ImageBuild.Engine.Options;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow2.Qcow2TestSupport;

namespace ImageBuild.Engine.Tests.Qcow2;

[TestClass]
public sealed class Qcow2MeasureInfoTests
{
    private static OptionValues Opts(string options) =>
        new(options.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => new KeyValuePair<string, string>(p[..p.IndexOf('=')], p[(p.IndexOf('=') + 1)..])));

    private static (long Required, long Fully, long? Bitmaps) QemuMeasure(params string[] args)
    {
        using var doc = JsonDocument.Parse(QemuOracle.ImgOk(["measure", "--output=json", "-O", "qcow2", .. args]));
        var r = doc.RootElement;
        return (r.GetProperty("required").GetInt64(), r.GetProperty("fully-allocated").GetInt64(),
            r.TryGetProperty("bitmaps", out var b) ? b.GetInt64() : null);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("", 1073741824L)]
    [DataRow("", 67108864L)]
    [DataRow("", 1000L)]
    [DataRow("cluster_size=2M,extended_l2=on", 107374182400L)]
    [DataRow("preallocation=full", 1073741824L)]
    [DataRow("preallocation=falloc", 1073741824L)]
    [DataRow("preallocation=metadata", 1073741824L)]
    [DataRow("refcount_bits=64", 1099511627776L)]
    [DataRow("refcount_bits=1,cluster_size=512", 1073741824L)]
    [DataRow("cluster_size=4096,extended_l2=off", 5000000000L)]
    [DataRow("compat=0.10", 3000000000000L)]
    [DataRow("extended_l2=on,cluster_size=16k", 123456789L)]
    public void MeasureWithSizeMatchesQemu(string options, long size)
    {
        var q = QemuMeasure(options.Length > 0 ? ["-o", options, "--size", size.ToString()] : ["--size", size.ToString()]);
        var ours = new Qcow2Format().Measure(Opts(options), null, size);
        Assert.AreEqual(q.Required, ours.Required, "required");
        Assert.AreEqual(q.Fully, ours.FullyAllocated, "fully allocated");
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("")]
    [DataRow("cluster_size=4096")]
    [DataRow("cluster_size=2M,refcount_bits=8")]
    [DataRow("extended_l2=on")]
    [DataRow("compat=0.10")]
    public void MeasureWithSourceMatchesQemu(string options)
    {
        using var tmp = new TempDir();
        string src = tmp["s.qcow2"];
        CreateQemu(src, 16 << 20, "cluster_size=4096");
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 1 0 100k", "-c", "write -P 2 3M 1M", "-c", "write -z 8M 1M", "-c", "write -P 3 10000k 1k", src);
        QemuOracle.ImgOk("bitmap", "--add", src, "bm0");
        var q = QemuMeasure(options.Length > 0 ? ["-o", options, "-f", "qcow2", src] : ["-f", "qcow2", src]);
        using var dev = Open(src);
        var ours = new Qcow2Format().Measure(Opts(options), dev, 0);
        Assert.AreEqual(q.Required, ours.Required, "required");
        Assert.AreEqual(q.Fully, ours.FullyAllocated, "fully allocated");
        Assert.AreEqual(q.Bitmaps, ours.Bitmaps, "bitmaps");
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("")]
    [DataRow("compat=0.10")]
    [DataRow("compression_type=zstd,extended_l2=on,lazy_refcounts=on,refcount_bits=1")]
    [DataRow("data_file=DATA,data_file_raw=on")]
    [DataRow("backing_file=base.qcow2,backing_fmt=qcow2")]
    public void InfoAgreesWithQemu(string options)
    {
        using var tmp = new TempDir();
        CreateQemu(tmp["base.qcow2"], 8 << 20, "");
        string img = tmp["i.qcow2"];
        CreateQemu(img, 8 << 20, options.Replace("DATA", tmp["i.data"]));
        if (options.Length == 0)
        {
            QemuOracle.ImgOk("bitmap", "--add", img, "bm0");
            QemuOracle.ImgOk("bitmap", "--add", "-g", "128k", "--disable", img, "bm1");
            QemuOracle.ImgOk("snapshot", "-c", "snap1", img);
        }
        using var doc = JsonDocument.Parse(QemuOracle.ImgOk("info", "--output=json", img));
        var q = doc.RootElement;
        using var dev = Open(img);
        Assert.AreEqual(q.GetProperty("virtual-size").GetInt64(), dev.VirtualSize);
        Assert.AreEqual(q.GetProperty("cluster-size").GetInt32(), dev.ClusterSize);
        Assert.AreEqual(q.GetProperty("dirty-flag").GetBoolean(), dev.IsDirty);
        Assert.AreEqual(q.TryGetProperty("backing-filename", out var bf) ? bf.GetString() : null, dev.BackingFilename);
        Assert.AreEqual(q.TryGetProperty("backing-filename-format", out var bff) ? bff.GetString() : null, dev.BackingFormat);
        var data = q.GetProperty("format-specific").GetProperty("data");
        var ours = dev.GetSpecificInfo()!;
        Assert.AreEqual("qcow2", ours.Type);
        Assert.AreEqual(string.Join(",", data.EnumerateObject().Select(p => p.Name).OrderBy(x => x)),
            string.Join(",", ours.Data.Select(p => p.Key).OrderBy(x => x)), "member set");
        foreach (var p in data.EnumerateObject())
        {
            object v = ours.Data[p.Name]!;
            switch (p.Value.ValueKind)
            {
                case JsonValueKind.String: Assert.AreEqual(p.Value.GetString(), v, p.Name); break;
                case JsonValueKind.Number: Assert.AreEqual(p.Value.GetInt64(), v, p.Name); break;
                case JsonValueKind.True or JsonValueKind.False: Assert.AreEqual(p.Value.GetBoolean(), v, p.Name); break;
                case JsonValueKind.Array:
                    var list = (IReadOnlyList<object>)v;
                    Assert.AreEqual(p.Value.GetArrayLength(), list.Count);
                    int i = 0;
                    foreach (var bm in p.Value.EnumerateArray())
                    {
                        var o = (ImageBuild.Engine.Info.QapiObject)list[i++];
                        Assert.AreEqual(bm.GetProperty("name").GetString(), o["name"]);
                        Assert.AreEqual(bm.GetProperty("granularity").GetInt64(), o["granularity"]);
                        CollectionAssert.AreEqual(bm.GetProperty("flags").EnumerateArray().Select(x => (object)x.GetString()!).ToList(), ((IReadOnlyList<object>)o["flags"]!).ToList());
                    }
                    break;
            }
        }
        // Members are in QAPI schema order.
        string[] schema = ["compat", "compression-type", "lazy-refcounts", "bitmaps", "refcount-bits", "data-file", "data-file-raw", "corrupt", "extended-l2"];
        var order = ours.Data.Select(p => Array.IndexOf(schema, p.Key)).ToList();
        CollectionAssert.AreEqual(order.OrderBy(x => x).ToList(), order);
        if (q.TryGetProperty("snapshots", out var snaps))
        {
            Assert.AreEqual(snaps.GetArrayLength(), dev.Snapshots.Count);
            var s0 = snaps[0];
            Assert.AreEqual(s0.GetProperty("name").GetString(), dev.Snapshots[0].Name);
            Assert.AreEqual(s0.GetProperty("id").GetString(), dev.Snapshots[0].Id);
            Assert.AreEqual(s0.GetProperty("date-sec").GetInt64(), dev.Snapshots[0].DateSec);
            Assert.AreEqual(s0.TryGetProperty("icount", out var ic) ? ic.GetInt64() : -1, dev.Snapshots[0].Icount);
        }
    }
}
