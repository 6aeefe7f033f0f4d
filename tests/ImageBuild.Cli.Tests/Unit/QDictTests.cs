using ImageBuild.Cli.Output;
using ImageBuild.Engine.Info;

namespace ImageBuild.Cli.Tests.Unit;

[TestClass]
public sealed class QDictTests
{
    // Buckets from the reference's precomputed table (§2.0.1), verified there against qemu-img 7.2 output.
    [TestMethod]
    [DataRow("compressed", 90)]
    [DataRow("backing-filename-format", 206)]
    [DataRow("snapshots", 263)]
    [DataRow("virtual-size", 309)]
    [DataRow("filename", 313)]
    [DataRow("cluster-size", 316)]
    [DataRow("format", 337)]
    [DataRow("actual-size", 351)]
    [DataRow("format-specific", 354)]
    [DataRow("full-backing-filename", 360)]
    [DataRow("encrypted", 413)]
    [DataRow("backing-filename", 475)]
    [DataRow("dirty-flag", 501)]
    [DataRow("image-end-offset", 30)]
    [DataRow("check-errors", 204)]
    [DataRow("bitmaps", 114)]
    [DataRow("required", 243)]
    [DataRow("fully-allocated", 328)]
    [DataRow("icount", 18)]
    [DataRow("type", 425)]
    [DataRow("data", 505)]
    [DataRow("compat", 16)]
    [DataRow("data-file-raw", 354)]
    [DataRow("extended-l2", 503)]
    [DataRow("parent-cid", 147)]
    [DataRow("active", 48)]
    public void BucketOfKey(string key, int bucket) => Assert.AreEqual(bucket, TdbHash.Bucket(key));

    [TestMethod]
    public void SameBucketNewestFirst()
    {
        // "format-specific" and "data-file-raw" share bucket 354: the later insertion is printed first.
        var o = new QapiObject().Add("format-specific", 1L).Add("data-file-raw", true);
        var order = TdbHash.Order(o).Select(p => p.Key).ToArray();
        CollectionAssert.AreEqual(new[] { "data-file-raw", "format-specific" }, order);
    }

    [TestMethod]
    public void ImageInfoJsonMatchesCapturedQemuOutput()
    {
        var info = new QapiObject()
            .Add("filename", "top.qcow2").Add("format", "qcow2").Add("dirty-flag", false).Add("actual-size", 200704L)
            .Add("virtual-size", 67108864L).Add("cluster-size", 65536L).Add("backing-filename", "base.qcow2")
            .Add("full-backing-filename", "base.qcow2").Add("backing-filename-format", "qcow2")
            .Add("format-specific", new QapiObject().Add("type", "qcow2").Add("data", new QapiObject()
                .Add("compat", "1.1").Add("compression-type", "zlib").Add("lazy-refcounts", false)
                .Add("refcount-bits", 16L).Add("corrupt", false).Add("extended-l2", false)));
        const string expected = """
{
    "backing-filename-format": "qcow2",
    "virtual-size": 67108864,
    "filename": "top.qcow2",
    "cluster-size": 65536,
    "format": "qcow2",
    "actual-size": 200704,
    "format-specific": {
        "type": "qcow2",
        "data": {
            "compat": "1.1",
            "compression-type": "zlib",
            "lazy-refcounts": false,
            "refcount-bits": 16,
            "corrupt": false,
            "extended-l2": false
        }
    },
    "full-backing-filename": "base.qcow2",
    "backing-filename": "base.qcow2",
    "dirty-flag": false
}
""";
        Assert.AreEqual(expected, QDictJsonWriter.Serialize(info));
    }

    [TestMethod]
    public void EmptyContainersAndArraysOfObjects()
    {
        var o = new QapiObject().Add("bitmaps", new List<object>
        {
            new QapiObject().Add("flags", new List<object> { "auto" }).Add("name", "bm0").Add("granularity", 65536L),
            new QapiObject().Add("flags", new List<object>()).Add("name", "bm1"),
        }).Add("x", new QapiObject());
        const string expected = """
{
    "bitmaps": [
        {
            "flags": [
                "auto"
            ],
            "name": "bm0",
            "granularity": 65536
        },
        {
            "flags": [
            ],
            "name": "bm1"
        }
    ],
    "x": {
    }
}
""";
        Assert.AreEqual(expected, QDictJsonWriter.Serialize(o));
    }

    [TestMethod]
    [DataRow("\u00E9\"q\\x.qcow2", "\"\\u00E9\\\"q\\\\x.qcow2\"")]
    [DataRow("d\u0001.raw", "\"d\\u0001.raw\"")]
    [DataRow("a\tb\nc\rd\be\ff", "\"a\\tb\\nc\\rd\\be\\ff\"")]
    [DataRow("\u007F", "\"\\u007F\"")]
    [DataRow("\U0001F600", "\"\\uD83D\\uDE00\"")]
    [DataRow("/~ok", "\"/~ok\"")]
    public void StringEscaping(string input, string expected)
    {
        var sb = new System.Text.StringBuilder();
        QDictJsonWriter.AppendQuoted(sb, input);
        Assert.AreEqual(expected, sb.ToString());
    }

    [TestMethod]
    public void LargeUnsignedStaysUnsigned() =>
        Assert.AreEqual("{\n    \"parent-cid\": 4294967295\n}", QDictJsonWriter.Serialize(new QapiObject().Add("parent-cid", 4294967295UL)));
}
