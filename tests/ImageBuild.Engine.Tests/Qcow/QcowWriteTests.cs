using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow.QcowTestSupport;

namespace ImageBuild.Engine.Tests.Qcow;

/// <summary>Our writes lay the file out as qemu's qcow driver does: the same requests give the same bytes.</summary>
[TestClass]
[RequiresQemu]
public sealed class QcowWriteTests
{
    /// <summary>One write request: guest offset, length, fill byte (-P).</summary>
    private readonly record struct Req(long Offset, int Length, byte Pattern)
    {
        public string QemuIo => $"write -P {Pattern} {Offset} {Length}";
    }

    private static void WriteOurs(string image, IEnumerable<Req> reqs)
    {
        using var dev = Open(image, writable: true);
        foreach (var r in reqs)
            dev.Write(r.Offset, Enumerable.Repeat(r.Pattern, r.Length).ToArray());
    }

    private static void AssertSameFiles(string expected, string actual) =>
        CollectionAssert.AreEqual(File.ReadAllBytes(expected), File.ReadAllBytes(actual), "file bytes");

    /// <summary>
    /// New clusters (whole, partial, many in one request), a new L2 table in the middle of a request, overwrites in
    /// place, the last (partial) cluster of the image, an unaligned request (read-modify-write of sectors).
    /// </summary>
    [TestMethod]
    public void WritesGiveQemusBytes()
    {
        Req[] reqs =
        [
            new(0, 100 << 10, 1),
            new((1 << 20) + 512, 1024, 2),
            new((2 << 20) - (4 << 10), 8 << 10, 3),
            new(50 << 10, 10 << 10, 4),
            new((5 << 20) - 512, 512, 5),
            new((3 << 20) + 4096, 3 << 20, 6),
            new(8 << 10, 200 << 10, 7),
        ];
        using var tmp = new TempDir();
        CreateQemu(tmp["q.qcow"], (7 << 20) - 512);
        CreateQemu(tmp["t.qcow"], (7 << 20) - 512);
        QemuIo(tmp["q.qcow"], [.. reqs.Select(r => r.QemuIo)]);
        WriteOurs(tmp["t.qcow"], reqs);
        AssertSameFiles(tmp["q.qcow"], tmp["t.qcow"]);
    }

    /// <summary>A request smaller than a sector: read-modify-write of the sector, as qemu's block layer does it.</summary>
    [TestMethod]
    public void UnalignedWriteIsReadModifyWrite()
    {
        using var tmp = new TempDir();
        CreateQemu(tmp["q.qcow"], 1 << 20);
        CreateQemu(tmp["t.qcow"], 1 << 20);
        QemuIo(tmp["q.qcow"], "write -P 9 1000 100", "write -P 8 5000 5000");
        WriteOurs(tmp["t.qcow"], [new(1000, 100, 9), new(5000, 5000, 8)]);
        AssertSameFiles(tmp["q.qcow"], tmp["t.qcow"]);
    }

    /// <summary>
    /// Compressed clusters (qemu-io write -c) partly overwritten (decompressed, written whole at the end of the
    /// file) and wholly overwritten (a fresh cluster).
    /// </summary>
    [TestMethod]
    public void OverwritingCompressedClustersGivesQemusBytes()
    {
        using var tmp = new TempDir();
        CreateQemu(tmp["q.qcow"], 1 << 20);
        QemuIo(tmp["q.qcow"], "write -c -P 1 0 4k", "write -c -P 2 4k 4k", "write -c -P 3 8k 4k", "write -c -P 4 12k 4k");
        File.Copy(tmp["q.qcow"], tmp["t.qcow"]);
        Req[] reqs = [new(512, 1024, 5), new(4096, 4096, 6), new(8192 + 3584, 4096, 7), new(1024, 512, 8)];
        QemuIo(tmp["q.qcow"], [.. reqs.Select(r => r.QemuIo)]);
        WriteOurs(tmp["t.qcow"], reqs);
        AssertSameFiles(tmp["q.qcow"], tmp["t.qcow"]);
    }

    /// <summary>Compressed streams (the codec qemu uses, written with WriteCompressedCluster) give qemu-io write -c's bytes.</summary>
    [TestMethod]
    public void CompressedWritesGiveQemusBytes()
    {
        using var tmp = new TempDir();
        CreateQemu(tmp["q.qcow"], (3 << 20) - 1024);
        CreateQemu(tmp["t.qcow"], (3 << 20) - 1024);
        long[] clusters = [0, 4096, 2 << 20, 12288, (3 << 20) - 4096];
        var commands = new List<string>();
        using (var dev = Open(tmp["t.qcow"], writable: true))
        {
            var codec = dev.CreateCompressor(ImageBuild.Engine.Compression.DeflateLibrary.SystemZlib)!;
            var payload = new byte[4096];
            foreach (long c in clusters)
            {
                byte p = (byte)(c / 4096 % 200 + 1);
                int len = (int)Math.Min(4096, dev.VirtualSize - c);
                var data = new byte[4096];
                Array.Fill(data, p, 0, len);
                int n = codec.Compress(data, payload);
                Assert.IsTrue(n > 0);
                dev.WriteCompressedCluster(c, payload.AsSpan(0, n));
                commands.Add($"write -c -P {p} {c} {len}");
            }
            dev.FinishCompressedWrites();
        }
        QemuIo(tmp["q.qcow"], [.. commands]);
        AssertSameFiles(tmp["q.qcow"], tmp["t.qcow"]);
    }

    /// <summary>
    /// The one deliberate difference: a partial write to a new cluster of an image with a backing file and clusters
    /// larger than a sector (qemu only makes such images by hand) keeps the backing data in the rest of the cluster,
    /// where qemu's driver leaves zeros. qemu-img commit writes whole clusters, so there the result is qemu's.
    /// </summary>
    [TestMethod]
    public void PartialWriteOverBackingKeepsTheBackingData()
    {
        using var tmp = new TempDir();
        string backing = tmp["back.raw"];
        File.WriteAllBytes(backing, Enumerable.Repeat((byte)0x99, 1 << 20).ToArray());
        string img = tmp["k4.qcow"];
        File.WriteAllBytes(img, [.. Header(1 << 20, backingOffset: 48, backingSize: 8, l1Offset: 56), .. "back.raw"u8, .. new byte[512]]);
        WriteOurs(img, [new(4096 + 512, 512, 0x42), new(8192 - 512, 1024, 0x43)]);
        using var dev = Open(img);
        var buf = new byte[3 * 4096];
        dev.Read(4096, buf);
        Assert.IsTrue(buf.AsSpan(0, 512).IndexOfAnyExcept((byte)0x99) < 0, "head of the cluster from the backing file");
        Assert.IsTrue(buf.AsSpan(512, 512).IndexOfAnyExcept((byte)0x42) < 0);
        Assert.IsTrue(buf.AsSpan(1024, 4096 - 1536).IndexOfAnyExcept((byte)0x99) < 0, "middle from the backing file");
        Assert.IsTrue(buf.AsSpan(4096 - 512, 1024).IndexOfAnyExcept((byte)0x43) < 0, "across two new clusters");
        Assert.IsTrue(buf.AsSpan(4096 + 512).IndexOfAnyExcept((byte)0x99) < 0, "tail of the second cluster from the backing file");
        Assert.AreEqual(16384, new FileInfo(img).Length, "two clusters after the L2 table at 4096");
    }

    /// <summary>qcow_make_empty: L1 zeroed and the file cut right after it; the image then reads its backing file.</summary>
    [TestMethod]
    public void MakeEmptyCutsTheFileAfterTheL1Table()
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "raw", tmp["b.raw"], "4M");
        QemuOracle.ImgOk("create", "-q", "-f", "qcow", "-b", "b.raw", "-F", "raw", tmp["t.qcow"]);
        QemuIo(tmp["t.qcow"], "write -P 1 0 64k", "write -P 2 3M 1k");
        using (var dev = Open(tmp["t.qcow"], writable: true))
        {
            dev.MakeEmpty();
            Assert.IsFalse(BlockLayer.GetStatus(dev, 0, 4 << 20).IsAllocated);
        }
        Assert.AreEqual(48 + 8 + 2 * 8, new FileInfo(tmp["t.qcow"]).Length, "header, name \"b.raw\" padded to 8, two L1 entries");
        Assert.AreEqual("Images are identical.\n", QemuOracle.ImgOk("compare", tmp["t.qcow"], tmp["b.raw"]));
    }
}
