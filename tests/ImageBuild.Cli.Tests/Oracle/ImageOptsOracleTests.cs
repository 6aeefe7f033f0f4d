using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// --image-opts, --target-image-opts and json: filenames (for sources, targets and backing files stored in images)
/// against qemu-img 7.2: the same exit code, output and messages, valid and invalid, run by each program in its own
/// copy of the same fixture (images, and written targets compared byte for byte).
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class ImageOptsOracleTests
{
    private static TempDir? _template;

    /// <summary>
    /// a.raw (1 MiB zeros), o.raw (a 2 MiB target for -n), b.qcow2 (pattern 5 in its first 64 KiB), t.qcow2 over b.qcow2,
    /// and overlays whose stored backing name is a json: filename: j.qcow2 (valid), jbad (bad JSON), jmiss (no such
    /// file), j2 (the stored backing format raw overrides the json driver), j3 (an option raw does not take).
    /// </summary>
    [ClassInitialize]
    public static void CreateTemplate(TestContext _)
    {
        if (!QemuOracle.Available) return;
        _template = new TempDir();
        string d = _template.Path;
        File.WriteAllBytes(Path.Combine(d, "a.raw"), new byte[1 << 20]);
        File.WriteAllBytes(Path.Combine(d, "o.raw"), new byte[2 << 20]);
        ToolUnderTest.QemuOk(d, "create", "-q", "-f", "qcow2", "b.qcow2", "1M");
        ToolUnderTest.QemuIo(d, "qcow2", "b.qcow2", "write -P 5 0 64k");
        ToolUnderTest.QemuOk(d, "create", "-q", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", "t.qcow2", "1M");
        ToolUnderTest.QemuIo(d, "qcow2", "t.qcow2", "write -P 7 128k 64k");
        ToolUnderTest.QemuOk(d, "create", "-q", "-f", "qcow2", "-b", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"b.qcow2\"}}", "-F", "qcow2", "j.qcow2", "1M");
        ToolUnderTest.QemuOk(d, "create", "-q", "-f", "qcow2", "-u", "-b", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"b.qcow2\"}", "-F", "qcow2", "jbad.qcow2", "1M");
        ToolUnderTest.QemuOk(d, "create", "-q", "-f", "qcow2", "-u", "-b", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"nonexistent\"}}", "-F", "qcow2", "jmiss.qcow2", "1M");
        ToolUnderTest.QemuOk(d, "create", "-q", "-f", "qcow2", "-u", "-b", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"b.qcow2\"}}", "-F", "raw", "j2.qcow2", "1M");
        ToolUnderTest.QemuOk(d, "create", "-q", "-f", "qcow2", "-u", "-b", "json:{\"driver\":\"raw\",\"file\":{\"filename\":\"b.qcow2\"},\"foo\":1}", "-F", "raw", "j3.qcow2", "1M");
    }

    [ClassCleanup]
    public static void RemoveTemplate() => _template?.Dispose();

    [TestMethod]
    // valid: the file's name is the image's name, options the driver takes, the file protocol's own options
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("info", "--image-opts", "file.filename=t.qcow2")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.driver=file,file.filename=t.qcow2")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,file.locking=off")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,read-only=on,cache.direct=off,node-name=n0")]
    [DataRow("info", "--image-opts", "driver=qcow2,driver=raw,file.filename=t.qcow2")]
    [DataRow("info", "--image-opts", "file.filename=t.qcow2,file.filename=a.raw")]
    [DataRow("info", "--output=json", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("info", "--backing-chain", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("info", "-U", "--image-opts", "driver=qcow2,file.filename=t.qcow2,force-share=on")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,backing=null")] // info opens no backing: refused
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,backing.driver=qcow2,backing.file.filename=b.qcow2")]
    [DataRow("map", "--output=json", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("map", "--image-opts", "driver=qcow2,file.filename=t.qcow2,backing=null")]
    [DataRow("map", "--output=json", "--image-opts", "driver=qcow2,file.filename=t.qcow2,backing=")]
    [DataRow("map", "--output=json", "--image-opts", "driver=qcow2,file.filename=t.qcow2,backing.driver=qcow2,backing.file.filename=a.raw")]
    [DataRow("map", "--image-opts", "driver=qcow2,file.filename=t.qcow2,backing.file.filename=b.qcow2,backing.foo=1")]
    [DataRow("check", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("compare", "--image-opts", "driver=qcow2,file.filename=t.qcow2", "file.filename=a.raw")]
    [DataRow("compare", "--image-opts", "-f", "raw", "driver=qcow2,file.filename=t.qcow2", "file.filename=a.raw")]
    [DataRow("measure", "-O", "qcow2", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("snapshot", "-l", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("bench", "-c", "1", "--image-opts", "driver=qcow2,file.filename=t.qcow2,foo=1")]
    // invalid: qemu's messages
    [DataRow("info", "--image-opts", "filename=t.qcow2")]
    [DataRow("info", "--image-opts", "driver=qcow2,filename=t.qcow2")]
    [DataRow("info", "--image-opts", "t.qcow2")]
    [DataRow("info", "--image-opts", "")]
    [DataRow("info", "--image-opts", "driver=qcow2")]
    [DataRow("info", "--image-opts", "driver=nosuch,file.filename=t.qcow2")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=nonexistent")]
    [DataRow("info", "--image-opts", "-f", "qcow2", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,foo=1")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,foo=1,bar=2,zz=3")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=a.raw,foo=1")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,file.foo=1")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,file.foo=1,bar=2")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.driver=file")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.driver=qcow2,file.filename=t.qcow2")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.driver=nosuch,file.filename=t.qcow2")]
    [DataRow("info", "--image-opts", "driver=qcow2,file=t.qcow2,file.filename=t.qcow2")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,read-only=x")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,force-share=x")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,file.locking=x")]
    [DataRow("info", "-U", "--image-opts", "driver=qcow2,file.filename=t.qcow2,force-share=off")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,id=x")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,id=1x")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,,x")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,=x")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,nofoo")]
    [DataRow("info", "--image-opts", "driver=qcow2,file.filename=t.qcow2,foo")]
    [DataRow("info", "--image-opts", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"t.qcow2\"}}")]
    [DataRow("compare", "--image-opts", "driver=qcow2,file.filename=t.qcow2", "file.filename=nonexistent")]
    public void ImageOptsMatchQemu(params string[] args) => Same(args);

    [TestMethod]
    [DataRow("convert", "--image-opts", "driver=qcow2,file.filename=t.qcow2", "out.raw")]
    [DataRow("convert", "--image-opts", "driver=qcow2,file.filename=t.qcow2,backing=null", "out.raw")]
    [DataRow("convert", "--image-opts", "driver=qcow2,file.filename=t.qcow2,backing=", "out.raw")]
    [DataRow("convert", "--image-opts", "driver=qcow2,file.filename=t.qcow2,backing.driver=qcow2,backing.file.filename=b.qcow2", "out.raw")]
    [DataRow("convert", "--image-opts", "driver=qcow2,file.filename=t.qcow2,backing.driver=qcow2,backing.file.filename=b.qcow2,backing.foo=1", "out.raw")]
    [DataRow("convert", "-O", "qcow2", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"t.qcow2\"},\"backing\":null}", "out.raw")]
    [DataRow("convert", "-n", "--target-image-opts", "t.qcow2", "driver=raw,file.filename=o.raw")]
    [DataRow("convert", "-n", "--target-image-opts", "t.qcow2", "file.filename=o.raw")]
    [DataRow("convert", "-n", "--target-image-opts", "t.qcow2", "driver=raw,file.filename=o.raw,foo=1")]
    [DataRow("convert", "-n", "-O", "raw", "--target-image-opts", "t.qcow2", "driver=raw,file.filename=o.raw")]
    [DataRow("convert", "--target-image-opts", "t.qcow2", "driver=raw,file.filename=o.raw")]
    [DataRow("convert", "-n", "t.qcow2", "json:{\"driver\":\"raw\",\"file\":{\"filename\":\"o.raw\"}}")]
    [DataRow("dd", "--image-opts", "if=driver=qcow2,file.filename=t.qcow2", "of=out.raw")]
    [DataRow("dd", "--image-opts", "-f", "raw", "if=driver=qcow2,file.filename=t.qcow2", "of=out.raw")]
    [DataRow("resize", "--image-opts", "driver=raw,file.filename=o.raw", "3M")]
    [DataRow("resize", "--image-opts", "driver=raw,file.filename=o.raw,foo=1", "3M")]
    [DataRow("amend", "-o", "compat=v3", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("bitmap", "--add", "--image-opts", "driver=qcow2,file.filename=t.qcow2", "bm0")]
    [DataRow("snapshot", "-c", "s1", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("rebase", "-u", "-b", "a.raw", "-F", "raw", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("commit", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    [DataRow("check", "-r", "all", "--image-opts", "driver=qcow2,file.filename=t.qcow2")]
    public void WritingCommandsMatchQemu(params string[] args) => Same(args, (q, t) =>
    {
        foreach (string file in new[] { "out.raw", "o.raw", "t.qcow2", "b.qcow2" })
        {
            string qf = Path.Combine(q.Path, file), tf = Path.Combine(t.Path, file);
            Assert.AreEqual(File.Exists(qf), File.Exists(tf), $"{file} exists after qemu-img and not after the tool, or the other way");
            if (!File.Exists(qf)) continue;
            if (file.EndsWith(".raw", StringComparison.Ordinal))
                CollectionAssert.AreEqual(File.ReadAllBytes(qf), File.ReadAllBytes(tf), $"{file} differs");
            else
                Assert.AreEqual(ToolUnderTest.QemuOk(q.Path, "map", "--output=json", file), ToolUnderTest.QemuOk(t.Path, "map", "--output=json", file), $"{file} maps differently");
        }
    });

    [TestMethod]
    [DataRow("info", "json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"t.qcow2\"}}")]
    [DataRow("info", "json:{\"file\":{\"driver\":\"file\",\"filename\":\"t.qcow2\"}}")]
    [DataRow("info", "json:{\"file.filename\":\"t.qcow2\"}")]
    [DataRow("info", "--output=json", "json:{'file.filename':'t.qcow2'}")]
    [DataRow("info", "json:{\"filename\":\"t.qcow2\"}")]
    [DataRow("info", "-f", "qcow2", "json:{\"driver\":\"raw\",\"file\":{\"filename\":\"t.qcow2\"}}")]
    [DataRow("info", "-f", "qcow2", "json:{\"file\":{\"filename\":\"t.qcow2\"}}")]
    [DataRow("info", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"t.qcow2\"},\"foo\":1}")]
    [DataRow("info", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"t.qcow2\"}")]
    [DataRow("info", "json:[1]")]
    [DataRow("info", "json:")]
    [DataRow("info", "json:   ")]
    [DataRow("info", "json:{\"a\":}")]
    [DataRow("info", "json:{\"a\" 1}")]
    [DataRow("info", "json:{\"a\":1,}")]
    [DataRow("info", "json:{a:1}")]
    [DataRow("info", "json:{true:1}")]
    [DataRow("info", "json:{\"file.filename\":\"t.qcow2\"} x")]
    [DataRow("info", "json:{\"file.filename\":\"t.qcow2\",\"n\":1.5}")]
    [DataRow("info", "json:{\"file.filename\":\"t.qcow2\",\"n\":tru}")]
    [DataRow("info", "json:{\"driver\":1}")]
    [DataRow("info", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"t.qcow2\"},\"backing\":null}")]
    [DataRow("info", "json:{\"file.filename\":\"t.qcow2\",\"driver\":\"qcow2\",\"backing\":\"\"}")]
    [DataRow("info", "json:{\"file.filename\":\"t.qcow2\",\"driver\":\"qcow2\",\"backing\":\"x\"}")]
    [DataRow("info", "json:{\"driver\":\"qcow2\",\"file\":\"t.qcow2\"}")]
    [DataRow("info", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"t.qcow2\"},\"a\":[1,2]}")]
    [DataRow("info", "json:{\"file.filename\":\"t.qcow2\",\"file.filename\":\"a.raw\"}")]
    [DataRow("info", "json:{\"file.filename\":\"t.qcow2\",\"file\":{\"filename\":\"a.raw\"}}")]
    [DataRow("info", "json:{\"file.filename\":\"t.qcow2\",\"x\":{}}")]
    [DataRow("info", " json:{\"file.filename\":\"t.qcow2\"}")]
    [DataRow("map", "--output=json", "json:{\"file.filename\":\"t.qcow2\",\"driver\":\"qcow2\"}")]
    [DataRow("check", "json:{\"file.filename\":\"t.qcow2\",\"driver\":\"qcow2\"}")]
    [DataRow("compare", "json:{\"file.filename\":\"t.qcow2\",\"driver\":\"qcow2\"}", "t.qcow2")]
    // backing files named by json: in the image
    [DataRow("info", "j.qcow2")]
    [DataRow("info", "--output=json", "j.qcow2")]
    [DataRow("info", "--backing-chain", "j.qcow2")]
    [DataRow("map", "--output=json", "j.qcow2")]
    [DataRow("compare", "j.qcow2", "b.qcow2")]
    [DataRow("check", "j.qcow2")]
    [DataRow("info", "jbad.qcow2")]
    [DataRow("map", "jbad.qcow2")]
    [DataRow("map", "jmiss.qcow2")]
    [DataRow("map", "--output=json", "j2.qcow2")]
    [DataRow("info", "--backing-chain", "j2.qcow2")]
    [DataRow("map", "j3.qcow2")]
    public void JsonFilenamesMatchQemu(params string[] args) => Same(args);

    [TestMethod]
    public void JsonNestingBeyondQemusLimitIsRefusedLikeQemu()
    {
        Same("info", "json:" + new string('[', 2000));
        Same("info", "json:" + new string('{', 1) + string.Concat(Enumerable.Repeat("\"a\":{", 1100)));
    }

    [TestMethod]
    [DataRow("create", "-f", "qcow2", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"c.qcow2\"}}", "1M")]
    [DataRow("create", "-f", "nosuch", "json:{}", "1M")]
    [DataRow("create", "-f", "qcow2", "json:{}", "1x")]
    [DataRow("create", "json:{}", "1M")]
    public void CreateRefusesJsonNamesLikeQemu(params string[] args) =>
        Same(args, (_, t) => Assert.IsFalse(File.Exists(Path.Combine(t.Path, "c.qcow2"))));

    private static TempDir Copy()
    {
        var dir = new TempDir();
        foreach (string f in Directory.GetFiles(_template!.Path))
            File.Copy(f, Path.Combine(dir.Path, Path.GetFileName(f)));
        return dir;
    }

    private static void Same(params string[] args) => Same(args, null);

    /// <summary>
    /// Runs both programs, each in its own copy of the fixture; the same exit code, stdout and stderr, then
    /// <paramref name="after"/> on the two directories (qemu-img's, the tool's).
    /// </summary>
    private static void Same(string[] args, Action<TempDir, TempDir>? after)
    {
        using var q = Copy();
        using var t = Copy();
        var expected = ToolUnderTest.Qemu(q.Path, args);
        var actual = ToolUnderTest.Run(t.Path, args);
        OracleAssert.SameOutcome(expected, actual);
        after?.Invoke(q, t);
    }
}
