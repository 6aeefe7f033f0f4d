using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow2.Qcow2TestSupport;

namespace ImageBuild.Engine.Tests.Qcow2;

[TestClass]
public sealed class Qcow2WriteTests
{
    /// <summary>Applies the same random operations to our qcow2 device and to a plain byte array.</summary>
    private static byte[] ApplyRandom(BlockDevice dev, byte[] model, int seed, int ops, bool zeroes = true, bool discards = true)
    {
        var rnd = new Random(seed);
        long size = dev.VirtualSize;
        for (int i = 0; i < ops; i++)
        {
            int kind = rnd.Next(10);
            long off = rnd.NextInt64(size);
            int len = (int)Math.Min(size - off, rnd.Next(3) switch { 0 => rnd.Next(1, 1024), 1 => rnd.Next(1, 70000), _ => rnd.Next(1, 300000) });
            if (len <= 0) continue;
            if (kind < 7 || (!zeroes && !discards))
            {
                var data = new byte[len];
                rnd.NextBytes(data);
                dev.Write(off, data);
                data.CopyTo(model, off);
            }
            else if (kind < 9 && zeroes)
            {
                dev.WriteZeroes(off, len, rnd.Next(2) == 0 ? WriteZeroesFlags.MayUnmap : WriteZeroesFlags.None);
                Array.Clear(model, (int)off, len);
            }
            else if (discards)
            {
                // Discarded content is unspecified: read it back from the device into the model.
                dev.Discard(off, len);
                var back = new byte[len];
                dev.Read(off, back);
                back.CopyTo(model, off);
            }
        }
        return model;
    }

    private static void AssertCleanCheck(string image)
    {
        var r = QemuOracle.Img("check", "--output=json", image);
        Assert.AreEqual(0, r.ExitCode, $"qemu-img check: {r.StdOut}{r.StdErr}");
        StringAssert.Contains(r.StdOut, "\"check-errors\": 0");
        Assert.IsFalse(r.StdOut.Contains("\"leaks\"", StringComparison.Ordinal), r.StdOut);
        Assert.IsFalse(r.StdOut.Contains("\"corruptions\"", StringComparison.Ordinal), r.StdOut);
    }

    private static void AssertQemuReadsModel(TempDir tmp, string image, byte[] model)
    {
        string raw = tmp["model.raw"];
        File.WriteAllBytes(raw, model);
        var r = QemuOracle.Img("compare", "-f", "qcow2", "-F", "raw", image, raw);
        Assert.AreEqual(0, r.ExitCode, $"qemu-img compare: {r.StdOut}{r.StdErr}");
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("", 1)]
    [DataRow("cluster_size=512", 2)]
    [DataRow("cluster_size=4096,refcount_bits=1", 3)]
    [DataRow("cluster_size=2M,refcount_bits=64", 4)]
    [DataRow("compat=0.10", 5)]
    [DataRow("extended_l2=on", 6)]
    [DataRow("extended_l2=on,cluster_size=16k,refcount_bits=8", 7)]
    [DataRow("lazy_refcounts=on", 8)]
    [DataRow("preallocation=metadata", 9)]
    public void RandomWritesPassQemuCheckAndCompare(string options, int seed)
    {
        using var tmp = new TempDir();
        string img = tmp["w.qcow2"];
        const int size = 6 << 20;
        CreateOurs(img, size, options);
        var model = new byte[size];
        using (var dev = Open(img, writable: true))
        {
            ApplyRandom(dev, model, seed, 120);
            var back = new byte[size];
            dev.Read(0, back);
            CollectionAssert.AreEqual(model, back, "our own read-back");
        }
        AssertCleanCheck(img);
        AssertQemuReadsModel(tmp, img, model);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("")]
    [DataRow("extended_l2=on")]
    [DataRow("compat=0.10")]
    public void PartialClusterWritesOverBackingCopyOnWrite(string options)
    {
        using var tmp = new TempDir();
        const int size = 4 << 20;
        CreateQemu(tmp["base.qcow2"], size, "cluster_size=4096");
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 0x5a 0 4M", "-c", "write -z 1M 512k", tmp["base.qcow2"]);
        CreateOurs(tmp["top.qcow2"], size, "backing_file=base.qcow2,backing_fmt=qcow2" + (options.Length > 0 ? "," + options : ""));
        var model = new byte[size];
        Array.Fill(model, (byte)0x5a);
        Array.Clear(model, 1 << 20, 512 << 10);
        using (var dev = ImageOpener.Open(Ctx(), tmp["top.qcow2"], new OpenOptions { Format = "qcow2", Writable = true }))
        {
            Assert.IsNotNull(dev.Backing);
            ApplyRandom(dev, model, 11, 80);
        }
        AssertCleanCheck(tmp["top.qcow2"]);
        AssertQemuReadsModel(tmp, tmp["top.qcow2"], model);
    }

    [TestMethod]
    [RequiresQemu]
    public void WritesThatGrowTheRefcountTable()
    {
        using var tmp = new TempDir();
        string img = tmp["g.qcow2"];
        // 512-byte clusters: one reftable cluster covers 64 blocks x 256 clusters = 8 MiB of file.
        const int size = 16 << 20;
        CreateOurs(img, size, "cluster_size=512");
        var model = new byte[size];
        using (var dev = Open(img, writable: true))
        {
            var data = new byte[size];
            new Random(5).NextBytes(data);
            dev.Write(0, data);
            data.CopyTo(model, 0);
        }
        var q = QemuOracle.ImgOk("info", "--output=json", img);
        AssertCleanCheck(img);
        AssertQemuReadsModel(tmp, img, model);
        Assert.IsTrue(new FileInfo(img).Length > size);
        _ = q;
    }

    [TestMethod]
    [RequiresQemu]
    public void SequentialSmallWritesAcrossReftableGrowth()
    {
        // 512-byte clusters, one L2 table per 32 KiB: L2 tables and data interleave, and the refcount table grows
        // twice while a multi-cluster allocation is in flight (the new block lies past the counted cluster).
        using var tmp = new TempDir();
        string img = tmp["s.qcow2"];
        const int size = 20 << 20;
        CreateOurs(img, size, "cluster_size=512");
        var model = new byte[size];
        new Random(8).NextBytes(model);
        using (var dev = Open(img, writable: true))
            for (int o = 0; o < size; o += 32 << 10)
                dev.Write(o, model.AsSpan(o, 32 << 10));
        AssertCleanCheck(img);
        AssertQemuReadsModel(tmp, img, model);
    }

    [TestMethod]
    [RequiresQemu]
    public void WriteZeroesWithUnmapFreesClustersAndDiscardReadsZero()
    {
        using var tmp = new TempDir();
        string img = tmp["z.qcow2"];
        CreateOurs(img, 4 << 20, "");
        using (var dev = Open(img, writable: true))
        {
            var data = new byte[4 << 20];
            Array.Fill(data, (byte)7);
            dev.Write(0, data);
            dev.WriteZeroes(0, 1 << 20, WriteZeroesFlags.MayUnmap);
            dev.WriteZeroes(1 << 20, 1 << 20, WriteZeroesFlags.None);
            dev.Discard(2 << 20, 1 << 20);
        }
        var map = QemuMap(img);
        CollectionAssert.AreEqual(new[]
        {
            "0 1048576 0 True True False -",
            $"1048576 1048576 0 True True False {5 * 65536 + (1 << 20)}",
            "2097152 1048576 0 True True False -",
            $"3145728 1048576 0 True False True {5 * 65536 + (3 << 20)}",
        }, map, string.Join(" | ", map));
        var check = QemuOracle.ImgOk("check", "--output=json", img);
        StringAssert.Contains(check, "\"allocated-clusters\": 32");
        AssertCleanCheck(img);
    }

    [TestMethod]
    [RequiresQemu]
    public void ExternalDataFileWrites()
    {
        using var tmp = new TempDir();
        string img = tmp["d.qcow2"];
        CreateOurs(img, 4 << 20, "data_file=" + tmp["d.data"]);
        var model = new byte[4 << 20];
        using (var dev = Open(img, writable: true))
            ApplyRandom(dev, model, 3, 60, zeroes: true, discards: false);
        AssertCleanCheck(img);
        AssertQemuReadsModel(tmp, img, model);
    }

    [TestMethod]
    [RequiresQemu]
    public void LazyRefcountsSetDirtyWhileOpenAndClearOnClose()
    {
        using var tmp = new TempDir();
        string img = tmp["l.qcow2"];
        CreateOurs(img, 4 << 20, "lazy_refcounts=on");
        using (var dev = Open(img, writable: true))
        {
            Assert.IsFalse(dev.IsDirty);
            dev.Write(0, new byte[] { 1, 2, 3 });
            Assert.IsTrue(dev.IsDirty);
            // A second opener while we write must share (-U), exactly as qemu-img info -U would.
            using var ro = ImageOpener.Open(ImageContext.CreateDefault(), img, new OpenOptions { Format = "qcow2", ForceShare = true });
            Assert.IsTrue(ro.IsDirty, "the dirty bit is on disk before the first allocating write completes");
        }
        using (var dev = Open(img))
            Assert.IsFalse(dev.IsDirty);
        AssertCleanCheck(img);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("")]
    [DataRow("compression_type=zstd,cluster_size=4096")]
    public void WritesOverCompressedClustersFreeThem(string options)
    {
        using var tmp = new TempDir();
        string src = tmp["src.raw"];
        var model = new byte[4 << 20];
        var rnd = new Random(9);
        for (int i = 0; i < model.Length; i += 8192) rnd.NextBytes(model.AsSpan(i, 1000));
        File.WriteAllBytes(src, model);
        string img = tmp["c.qcow2"];
        QemuOracle.ImgOk("convert", "-c", "-O", "qcow2", "-o", options.Length == 0 ? "cluster_size=65536" : options, src, img);
        using (var dev = Open(img, writable: true))
            ApplyRandom(dev, model, 21, 60);
        AssertCleanCheck(img);
        AssertQemuReadsModel(tmp, img, model);
    }

    [TestMethod]
    [RequiresQemu]
    public void DirtyImagesAreRepairedWhenOpenedForWriting()
    {
        using var tmp = new TempDir();
        string img = tmp["d.qcow2"];
        CreateOurs(img, 1 << 20, "lazy_refcounts=on");
        using (var dev = Open(img, writable: true))
            dev.Write(0, new byte[65536]);
        var b = File.ReadAllBytes(img);
        b[79] |= 1;
        // Drop the data cluster's refcount, as a crash with lazy refcounts leaves it.
        long rt = (long)BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(48));
        long rb = (long)BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan((int)rt));
        long data = (long)(BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(0x40000)) & 0xFFFFFFFFFE00);
        Assert.AreNotEqual(0L, data, "the L2 table is expected in cluster 4");
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan((int)(rb + 2 * (data >> 16))), 0);
        File.WriteAllBytes(img, b);
        using (var ro = Open(img))
            Assert.IsTrue(ro.IsDirty);
        using (var dev = Open(img, writable: true))
            Assert.IsFalse(dev.IsDirty, "repaired and marked clean on open");
        QemuOracle.ImgOk("check", img);
    }

    [TestMethod]
    public void MetadataCacheStaysBoundedOnAHundredGibImage()
    {
        using var tmp = new TempDir();
        string img = tmp["big.qcow2"];
        CreateOurs(img, 100L << 30, "");
        var data = new byte[4096];
        Array.Fill(data, (byte)0xAB);
        using (var dev = (ImageBuild.Engine.Formats.Qcow2.Qcow2Device)Open(img, writable: true))
        {
            // Touch 400 different L2 tables (one every 256 MiB) and read them all back.
            for (long o = 0; o < dev.VirtualSize; o += 256L << 20)
                dev.Write(o, data);
            var back = new byte[4096];
            for (long o = 0; o < dev.VirtualSize; o += 256L << 20)
            {
                dev.Read(o, back);
                CollectionAssert.AreEqual(data, back);
            }
            Assert.IsTrue(dev.L2Cache.Count <= 64, $"L2 cache holds {dev.L2Cache.Count} tables");
            Assert.IsTrue(dev.Refcounts.Cache.Count <= 16, $"refblock cache holds {dev.Refcounts.Cache.Count} blocks");
        }
        using var ro = Open(img);
        var b2 = new byte[4096];
        ro.Read(99L << 30, b2);
        CollectionAssert.AreEqual(data, b2);
    }
}
