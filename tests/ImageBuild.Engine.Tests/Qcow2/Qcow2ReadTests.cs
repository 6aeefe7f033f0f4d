using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow2.Qcow2TestSupport;

namespace ImageBuild.Engine.Tests.Qcow2;

[TestClass]
public sealed class Qcow2ReadTests
{
    private static readonly string[] Pattern =
    [
        "write -P 0x11 0 64k", "write -P 0x22 100k 300k", "write -z 512k 128k", "write -P 0x33 700k 4k",
        "discard 100k 64k", "write -P 0x44 1M 1M", "write -z 1536k 64k", "write -P 0x55 3000k 7k",
    ];

    private static void Fill(string image, IEnumerable<string> commands, string format = "qcow2")
    {
        var args = new List<string> { "-f", format };
        foreach (var c in commands) { args.Add("-c"); args.Add(c); }
        args.Add(image);
        QemuOracle.IoOk([.. args]);
    }

    private static void AssertSameAsQemu(TempDir tmp, string image, bool checkMap = true)
    {
        using var dev = Open(image);
        Assert.AreEqual(QemuRawMd5(tmp, image), Md5OfDevice(dev), "guest content");
        if (checkMap)
            CollectionAssert.AreEqual(QemuMap(image), OurMap(dev), "map: " + string.Join(" | ", OurMap(dev)));
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("cluster_size=512")]
    [DataRow("cluster_size=1024,refcount_bits=1")]
    [DataRow("cluster_size=2048,refcount_bits=2")]
    [DataRow("cluster_size=4096,refcount_bits=4")]
    [DataRow("cluster_size=8192,refcount_bits=8")]
    [DataRow("cluster_size=16384,refcount_bits=32")]
    [DataRow("cluster_size=32768,refcount_bits=64")]
    [DataRow("")]
    [DataRow("cluster_size=128k")]
    [DataRow("cluster_size=256k")]
    [DataRow("cluster_size=512k")]
    [DataRow("cluster_size=1M")]
    [DataRow("cluster_size=2M")]
    [DataRow("compat=0.10")]
    [DataRow("compat=0.10,cluster_size=4096")]
    [DataRow("extended_l2=on")]
    [DataRow("extended_l2=on,cluster_size=16k")]
    [DataRow("extended_l2=on,cluster_size=2M")]
    [DataRow("lazy_refcounts=on")]
    [DataRow("preallocation=metadata")]
    public void WrittenByQemuReadsTheSame(string options)
    {
        using var tmp = new TempDir();
        string img = tmp["a.qcow2"];
        CreateQemu(img, 4 << 20, options);
        Fill(img, Pattern);
        AssertSameAsQemu(tmp, img);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("")]
    [DataRow("compression_type=zstd")]
    [DataRow("cluster_size=4096")]
    [DataRow("cluster_size=2M,compression_type=zstd")]
    [DataRow("extended_l2=on")]
    [DataRow("compat=0.10")]
    public void CompressedClustersDecompress(string options)
    {
        using var tmp = new TempDir();
        string img = tmp["c.qcow2"];
        string c = options.Contains("2M") ? "2M" : "64k";
        CreateQemu(img, 8 << 20, options);
        if (c == "64k")
            Fill(img, ["write -c -P 0x61 0 64k", "write -c -P 0x62 64k 64k", "write -P 0x63 256k 4k", "write -c -P 0x64 2M 64k"]);
        else
            Fill(img, ["write -c -P 0x61 0 2M", "write -P 0x63 2M 4k", "write -c -P 0x64 4M 2M"]);
        // A converted random-ish image compresses to varying sizes.
        string src = tmp["src.raw"];
        var rnd = new Random(42);
        var bytes = new byte[2 << 20];
        for (int i = 0; i < bytes.Length; i += 4096)
            if (rnd.Next(3) > 0) rnd.NextBytes(bytes.AsSpan(i, rnd.Next(1, 4096)));
        File.WriteAllBytes(src, bytes);
        string conv = tmp["conv.qcow2"];
        QemuOracle.ImgOk("convert", "-c", "-O", "qcow2", "-o", options.Length == 0 ? "cluster_size=65536" : options, src, conv);
        AssertSameAsQemu(tmp, img);
        AssertSameAsQemu(tmp, conv);
    }

    [TestMethod]
    [RequiresQemu]
    public void ThreeLayerBackingChain()
    {
        using var tmp = new TempDir();
        CreateQemu(tmp["base.qcow2"], 4 << 20, "cluster_size=4096");
        Fill(tmp["base.qcow2"], ["write -P 0x01 0 4M"]);
        CreateQemu(tmp["mid.qcow2"], 4 << 20, "backing_file=base.qcow2,backing_fmt=qcow2");
        Fill(tmp["mid.qcow2"], ["write -P 0x02 64k 128k", "write -z 1M 64k", "discard 2M 64k"]);
        CreateQemu(tmp["top.qcow2"], 4 << 20, "backing_file=mid.qcow2,backing_fmt=qcow2,cluster_size=16k,extended_l2=on");
        Fill(tmp["top.qcow2"], ["write -P 0x03 70k 3k", "write -z 3M 32k", "write -P 0x04 3500k 100k"]);
        using (var dev = Open(tmp["top.qcow2"]))
        {
            Assert.AreEqual("mid.qcow2", dev.BackingFilename);
            Assert.AreEqual("qcow2", dev.BackingFormat);
        }
        AssertSameAsQemu(tmp, tmp["top.qcow2"]);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("data_file=DATA")]
    [DataRow("data_file=DATA,data_file_raw=on")]
    [DataRow("data_file=DATA,extended_l2=on")]
    public void ExternalDataFile(string options)
    {
        using var tmp = new TempDir();
        string img = tmp["e.qcow2"];
        CreateQemu(img, 4 << 20, options.Replace("DATA", tmp["e.data"]));
        Fill(img, Pattern.Where(c => !c.StartsWith("discard", StringComparison.Ordinal)));
        using (var dev = Open(img))
        {
            var info = dev.GetSpecificInfo()!;
            Assert.AreEqual(tmp["e.data"], info.Data["data-file"]);
        }
        AssertSameAsQemu(tmp, img);
    }

    [TestMethod]
    [RequiresQemu]
    public void ReadOnlyOpenNeverWrites()
    {
        using var tmp = new TempDir();
        string img = tmp["r.qcow2"];
        CreateQemu(img, 4 << 20, "lazy_refcounts=on");
        Fill(img, Pattern);
        byte[] before = File.ReadAllBytes(img);
        using (var dev = Open(img))
        {
            Md5OfDevice(dev);
            OurMap(dev);
            dev.GetSpecificInfo();
        }
        CollectionAssert.AreEqual(before, File.ReadAllBytes(img));
    }

    private static IEnumerable<(string Path, string Md5, string Name)> SharedQcow2()
    {
        string dir = QemuOracle.SharedImages ?? throw new AssertFailedException("shared images missing");
        foreach (var line in File.ReadAllLines(Path.Combine(dir, "expected.tsv")))
        {
            var f = line.Split('\t');
            if (f.Length < 3 || f[1] != "qcow2") continue;
            string path = Path.Combine(dir, f[0]);
            if (File.Exists(path)) yield return (path, f[2], f[0]);
        }
    }

    /// <summary>Images up to 1 GiB: the MD5 of everything we read equals qemu's raw conversion.</summary>
    [TestMethod]
    [RequiresSharedImages]
    public void SharedImagesMatchExpectedMd5()
    {
        int n = 0;
        foreach (var (path, md5, name) in SharedQcow2())
        {
            using var dev = ImageBuild.Engine.Block.ImageOpener.Open(Ctx(), path, new ImageBuild.Engine.Block.OpenOptions { Format = "qcow2" });
            if (dev.VirtualSize > 1L << 30) continue;
            Assert.AreEqual(md5, Md5OfDevice(dev), name);
            n++;
        }
        Assert.IsTrue(n >= 15, $"only {n} qcow2 images checked");
    }

    /// <summary>
    /// Larger images (8 GiB; hashing them would dominate the suite): our map (through the backing chain) equals qemu's.
    /// </summary>
    [TestMethod]
    [RequiresSharedImages]
    [RequiresQemu]
    public void LargeSharedImagesMapLikeQemu()
    {
        int n = 0;
        foreach (var (path, _, name) in SharedQcow2())
        {
            using var dev = ImageBuild.Engine.Block.ImageOpener.Open(Ctx(), path, new ImageBuild.Engine.Block.OpenOptions { Format = "qcow2" });
            if (dev.VirtualSize <= 1L << 30) continue;
            CollectionAssert.AreEqual(QemuMap(path), OurMap(dev), name);
            n++;
        }
        Assert.IsTrue(n >= 1);
    }
}
