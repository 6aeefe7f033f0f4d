using System.Buffers.Binary;
using System.Text.Json;
using ImageBuild.Engine.Info;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow2.Qcow2TestSupport;

namespace ImageBuild.Engine.Tests.Qcow2;

[TestClass]
public sealed class Qcow2CheckTests
{
    private sealed class Log : ICheckLog
    {
        public List<string> Lines { get; } = [];
        public void Message(string line) => Lines.Add(line);
    }

    private static void AssertCheckMatchesQemu(string img)
    {
        var r = QemuOracle.Img("check", "--output=json", "-f", "qcow2", img);
        Assert.IsTrue(r.ExitCode is 0 or 2 or 3, $"qemu-img check exit {r.ExitCode}: {r.StdErr}");
        using var doc = JsonDocument.Parse(r.StdOut);
        var q = doc.RootElement;
        long Q(string name) => q.TryGetProperty(name, out var v) ? v.GetInt64() : 0;
        var log = new Log();
        CheckResult ours;
        using (var dev = Open(img))
            ours = dev.Check(CheckRepair.None, log);
        string ctx = $"qemu: {r.StdOut} {r.StdErr} ours: {string.Join(" / ", log.Lines)}";
        Assert.AreEqual(Q("check-errors"), ours.CheckErrors, "check-errors " + ctx);
        Assert.AreEqual(Q("corruptions"), ours.Corruptions, "corruptions " + ctx);
        Assert.AreEqual(Q("leaks"), ours.Leaks, "leaks " + ctx);
        Assert.AreEqual(Q("image-end-offset"), ours.ImageEndOffset, "image-end-offset " + ctx);
        Assert.AreEqual(Q("total-clusters"), ours.TotalClusters, "total " + ctx);
        Assert.AreEqual(Q("allocated-clusters"), ours.AllocatedClusters, "allocated " + ctx);
        Assert.AreEqual(Q("fragmented-clusters"), ours.FragmentedClusters, "fragmented " + ctx);
        Assert.AreEqual(Q("compressed-clusters"), ours.CompressedClusters, "compressed " + ctx);
        var qemuLines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("qemu-img:", StringComparison.Ordinal)).ToList();
        CollectionAssert.AreEqual(qemuLines, log.Lines, ctx);
    }

    private static string Build(TempDir tmp, string options, params string[] io)
    {
        string img = tmp["c.qcow2"];
        CreateQemu(img, 8 << 20, options);
        var args = new List<string> { "-f", "qcow2" };
        foreach (var c in io) { args.Add("-c"); args.Add(c); }
        args.Add(img);
        if (io.Length > 0) QemuOracle.IoOk([.. args]);
        return img;
    }

    private static readonly string[] Writes = ["write -P 1 0 200k", "write -z 300k 64k", "write -P 2 1M 64k", "write -c -P 3 2M 64k", "write -P 4 5M 1M", "discard 5M 128k"];

    [TestMethod]
    [RequiresQemu]
    [DataRow("")]
    [DataRow("cluster_size=512")]
    [DataRow("cluster_size=4096,refcount_bits=1")]
    [DataRow("refcount_bits=64")]
    [DataRow("compat=0.10")]
    [DataRow("extended_l2=on")]
    [DataRow("compression_type=zstd")]
    [DataRow("preallocation=metadata")]
    [DataRow("preallocation=full")]
    public void CleanImagesMatchQemu(string options)
    {
        using var tmp = new TempDir();
        var io = options.Contains("512") || options.Contains("prealloc") ? Writes.Where(w => !w.Contains("-c")).ToArray() : Writes;
        AssertCheckMatchesQemu(Build(tmp, options, io));
    }

    [TestMethod]
    [RequiresQemu]
    public void SnapshotsBitmapsAndDataFileMatchQemu()
    {
        using var tmp = new TempDir();
        string img = Build(tmp, "", Writes);
        QemuOracle.ImgOk("snapshot", "-c", "s1", img);
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 9 0 100k", "-c", "write -P 8 6M 64k", img);
        QemuOracle.ImgOk("bitmap", "--add", img, "b0");
        AssertCheckMatchesQemu(img);
        string d = tmp["d.qcow2"];
        CreateQemu(d, 8 << 20, "data_file=" + tmp["d.data"]);
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 1 0 1M", "-c", "write -z 2M 1M", d);
        AssertCheckMatchesQemu(d);
    }

    private static long FirstRefblock(string img)
    {
        var b = File.ReadAllBytes(img);
        long rt = (long)BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(48));
        return (long)BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan((int)rt));
    }

    private static void PatchU16(string path, long offset, ushort v) { using var fs = new FileStream(path, FileMode.Open); fs.Position = offset; var x = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(x, v); fs.Write(x); }
    private static void PatchU64(string path, long offset, ulong v) { using var fs = new FileStream(path, FileMode.Open); fs.Position = offset; var x = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(x, v); fs.Write(x); }
    private static ulong ReadU64(string path, long offset) => BinaryPrimitives.ReadUInt64BigEndian(File.ReadAllBytes(path).AsSpan((int)offset));

    [TestMethod]
    [RequiresQemu]
    public void RaisedRefcountIsALeak()
    {
        using var tmp = new TempDir();
        string img = Build(tmp, "", Writes);
        PatchU16(img, FirstRefblock(img) + 5 * 2, 4);
        AssertCheckMatchesQemu(img);
    }

    [TestMethod]
    [RequiresQemu]
    public void LoweredRefcountIsACorruption()
    {
        using var tmp = new TempDir();
        string img = Build(tmp, "", Writes);
        PatchU16(img, FirstRefblock(img) + 5 * 2, 0);
        PatchU16(img, FirstRefblock(img) + 0 * 2, 0);
        AssertCheckMatchesQemu(img);
    }

    [TestMethod]
    [RequiresQemu]
    public void DroppedRefblockEntry()
    {
        using var tmp = new TempDir();
        string img = Build(tmp, "cluster_size=4096", Writes);
        long rt = (long)ReadU64(img, 48);
        PatchU64(img, rt, 0);
        AssertCheckMatchesQemu(img);
    }

    [TestMethod]
    [RequiresQemu]
    public void TwoL2EntriesSharingACluster()
    {
        using var tmp = new TempDir();
        string img = Build(tmp, "", Writes);
        long l1 = (long)ReadU64(img, 40);
        long l2 = (long)(ReadU64(img, l1) & 0xFFFFFFFFFE00);
        ulong e0 = ReadU64(img, l2);
        PatchU64(img, l2 + 8 * 100, e0);
        AssertCheckMatchesQemu(img);
    }

    [TestMethod]
    [RequiresQemu]
    public void ReservedBitsAndMisalignedEntries()
    {
        using var tmp = new TempDir();
        string img = Build(tmp, "", Writes);
        long l1 = (long)ReadU64(img, 40);
        long l2 = (long)(ReadU64(img, l1) & 0xFFFFFFFFFE00);
        PatchU64(img, l2 + 8, ReadU64(img, l2 + 8) | 0x100);
        PatchU64(img, l2 + 16, ReadU64(img, l2 + 16) | 0x2000);
        AssertCheckMatchesQemu(img);
    }

    [TestMethod]
    [RequiresQemu]
    public void DirtyLazyRefcountImage()
    {
        using var tmp = new TempDir();
        string img = Build(tmp, "lazy_refcounts=on", Writes);
        PatchU64(img, 72, ReadU64(img, 72) | 1);
        AssertCheckMatchesQemu(img);
        using var dev = Open(img);
        Assert.IsTrue(dev.IsDirty);
    }

    [TestMethod]
    [RequiresQemu]
    public void ImagesWeWriteCheckCleanWithOurChecker()
    {
        using var tmp = new TempDir();
        string img = tmp["o.qcow2"];
        CreateOurs(img, 8 << 20, "cluster_size=4096");
        using (var dev = Open(img, writable: true))
        {
            var data = new byte[300000];
            new Random(1).NextBytes(data);
            dev.Write(12345, data);
            dev.WriteZeroes(1 << 20, 1 << 20, ImageBuild.Engine.Block.WriteZeroesFlags.MayUnmap);
        }
        AssertCheckMatchesQemu(img);
    }

    [TestMethod]
    public void RepairNeedsAWritableImage()
    {
        using var tmp = new TempDir();
        string img = tmp["r.qcow2"];
        CreateOurs(img, 1 << 20, "");
        using var dev = Open(img);
        Assert.IsTrue(dev.SupportsCheck);
        Assert.ThrowsExactly<ImageException>(() => dev.Check(CheckRepair.Leaks, new Log()));
    }

    [TestMethod]
    [RequiresQemu]
    public void RepairFixesLeaksAndCountsThem()
    {
        using var tmp = new TempDir();
        string img = Build(tmp, "", Writes);
        long length = new FileInfo(img).Length;
        long rt = (long)ReadU64(img, 48);
        long rb = (long)ReadU64(img, rt);
        using (var f = new FileStream(img, FileMode.Open, FileAccess.ReadWrite))
            f.SetLength(length + 65536);
        var b = File.ReadAllBytes(img);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan((int)(rb + 2 * (length / 65536))), 1);
        File.WriteAllBytes(img, b);

        var log = new Log();
        CheckResult r;
        using (var dev = Open(img, writable: true))
            r = dev.Check(CheckRepair.Leaks, log);
        Assert.AreEqual(1, r.LeaksFixed);
        Assert.AreEqual(0, r.Leaks);
        Assert.AreEqual(0, r.CorruptionsFixed);
        CollectionAssert.AreEqual(new[] { $"Leaked cluster {length / 65536} refcount=1 reference=0", $"Repairing cluster {length / 65536} refcount=1 reference=0" }, log.Lines);
        QemuOracle.ImgOk("check", img);
    }
}
