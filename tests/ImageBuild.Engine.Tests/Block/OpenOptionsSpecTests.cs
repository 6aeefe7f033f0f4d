using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Tests.Block;

/// <summary>
/// Open options (--image-opts, json:) in the engine: json: parsing and flattening with qemu's messages, the
/// resolution of driver/file/backing keys, and the json: names qemu gives images opened with strong options (key
/// order as qemu's QDict iterates; the luks form was captured from qemu-img 7.2's info).
/// </summary>
[TestClass]
public sealed class OpenOptionsSpecTests
{
    private static readonly ImageContext Context = ImageContext.CreateDefault();

    [TestMethod]
    public void JsonFilenamesFlattenAsQdictFlatten()
    {
        var o = JsonFilename.Parse("json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"a b\"},\"l\":[1,'x'],\"e\":{},\"n\":null,\"t\":true}");
        CollectionAssert.AreEqual(new[] { "driver", "file.driver", "file.filename", "l.0", "l.1", "e", "n", "t" }, o.Keys.ToArray());
        Assert.AreEqual("a b", o["file.filename"]);
        Assert.AreEqual(1L, o["l.0"]);
        Assert.AreEqual("x", o["l.1"]);
        Assert.IsNull(o["n"]);
        Assert.AreEqual(true, o["t"]);
    }

    [TestMethod]
    [DataRow("json:", "Could not parse the JSON options: Expecting a JSON value")]
    [DataRow("json:{\"a\":1", "Could not parse the JSON options: JSON parse error, premature EOI")]
    [DataRow("json:{\"a\":1} 2", "Could not parse the JSON options: Expecting at most one JSON value")]
    [DataRow("json:{\"a\" 1}", "Could not parse the JSON options: JSON parse error, missing : in object pair")]
    [DataRow("json:{\"a\":1,\"a\":2}", "Could not parse the JSON options: JSON parse error, duplicate key")]
    [DataRow("json:{\"a\":nul}", "Could not parse the JSON options: JSON parse error, invalid keyword 'nul'")]
    [DataRow("json:\"x\"", "Invalid JSON object given")]
    [DataRow("json:[]", "Invalid JSON object given")]
    public void BadJsonGivesQemusMessage(string name, string message) =>
        Assert.AreEqual(message, Assert.ThrowsExactly<ImageException>(() => JsonFilename.Parse(name)).Message);

    [TestMethod]
    public void NestingIsBoundedAtQemusLimit()
    {
        Assert.AreEqual("Could not parse the JSON options: JSON nesting depth limit exceeded",
            Assert.ThrowsExactly<ImageException>(() => JsonFilename.Parse("json:" + new string('[', 5000))).Message);
        string deep = "json:" + string.Concat(Enumerable.Repeat("{\"a\":", 1000)) + "1" + new string('}', 1000);
        Assert.AreEqual("a" + string.Concat(Enumerable.Repeat(".a", 999)), JsonFilename.Parse(deep).Keys.Single());
    }

    [TestMethod]
    [DataRow("{\"filename\":\"x\"}", "Must specify either driver or file")]
    [DataRow("{\"driver\":\"qcow2\"}", "A block device must be specified for \"file\"")]
    [DataRow("{\"driver\":\"nosuch\",\"file.filename\":\"x\"}", "Unknown driver 'nosuch'")]
    [DataRow("{\"driver\":\"qcow2\",\"file\":\"x\"}", "Cannot find device='x' nor node-name='x'")]
    [DataRow("{\"driver\":\"qcow2\",\"file\":\"x\",\"file.filename\":\"y\"}", "Cannot reference an existing block device with additional options or a new filename")]
    [DataRow("{\"file.driver\":\"file\"}", "The 'file' block driver requires a file name")]
    [DataRow("{\"file.filename\":\"x\",\"file.locking\":\"maybe\"}", "invalid parameter value: maybe")]
    [DataRow("{\"file.filename\":\"x\",\"read-only\":\"yes\"}", "Parameter 'read-only' expects 'on' or 'off'")]
    public void ResolutionRefusesAsQemu(string json, string message) =>
        Assert.AreEqual(message, Assert.ThrowsExactly<ImageException>(() => ImageSpec.Resolve(Context, JsonFilename.Parse("json:" + json), new OpenOptions())).Message);

    [TestMethod]
    public void ResolutionSplitsFileGenericAndDriverOptions()
    {
        var spec = ImageSpec.Resolve(Context, JsonFilename.Parse(
            "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"x.qcow2\",\"locking\":\"off\"},\"force-share\":true,\"backing\":null,\"encrypt.key-secret\":\"s0\",\"backing.x\":1}"),
            new OpenOptions());
        Assert.AreEqual("x.qcow2", spec.Path);
        Assert.AreEqual("qcow2", spec.Format);
        Assert.IsTrue(spec.Options.NoLocking);
        Assert.IsTrue(spec.Options.ForceShare);
        Assert.IsTrue(spec.Options.NoBacking);
        CollectionAssert.AreEquivalent(new[] { "encrypt.key-secret", "backing.x" }, spec.Options.DriverOptions!.Keys.ToArray());
        Assert.AreEqual("1", spec.Options.DriverOptions["backing.x"]);

        var overridden = ImageSpec.Resolve(Context, JsonFilename.Parse("json:{\"driver\":\"raw\",\"file.filename\":\"x\"}"), new OpenOptions { Format = "qcow2" });
        Assert.AreEqual("qcow2", overridden.Format, "a given format (-f, a stored backing format) wins over the json driver");
    }

    [TestMethod]
    public void StrongOptionsNameTheImageByJson()
    {
        var luks = ImageSpec.Resolve(Context, JsonFilename.Parse("json:{\"driver\":\"luks\",\"file.filename\":\"a.luks\",\"key-secret\":\"s0\"}"), new OpenOptions());
        Assert.AreEqual("json:{\"driver\": \"luks\", \"file\": {\"driver\": \"file\", \"filename\": \"a.luks\"}, \"key-secret\": \"s0\"}", luks.DisplayName(Context.Formats.Find("luks")!, "a.luks"));
        var plain = ImageSpec.Resolve(Context, JsonFilename.Parse("json:{\"driver\":\"qcow2\",\"file.filename\":\"t.qcow2\",\"file.locking\":\"off\"}"), new OpenOptions());
        Assert.AreEqual("t.qcow2", plain.DisplayName(Context.Formats.Find("qcow2")!, "t.qcow2"));
    }

    [TestMethod]
    public void QDictOrderIsBucketOrderNewestFirst()
    {
        // qemu-img 7.2 names 'bar' first among foo, bar, zz left over; and prints offset, driver, file in this order
        Assert.AreEqual("bar", QDictOrder.Order(["foo", "bar", "zz"])[0]);
        CollectionAssert.AreEqual(new[] { "offset", "driver", "file" }, QDictOrder.Order(["driver", "offset", "file"]));
    }
}
