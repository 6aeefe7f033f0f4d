using System.Buffers.Binary;
using System.IO.Compression;
using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Cloop;

/// <summary>The cloop driver on hand-made images: content, block boundaries, bad blocks, memory-bounded refusals.</summary>
[TestClass]
public sealed class CloopReadTests
{
    private static ImageContext Ctx() => new(FormatRegistry.CreateDefault());

    private static BlockDevice Open(string path, bool writable = false) =>
        ImageOpener.Open(Ctx(), path, new OpenOptions { Format = "cloop", Writable = writable });

    private static byte[] Zlib(ReadOnlySpan<byte> data)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    /// <summary>A cloop image of <paramref name="raw"/> in <paramref name="blockSize"/>-byte zlib blocks.</summary>
    private static void Write(string path, byte[] raw, int blockSize, Func<int, byte[], byte[]>? tamper = null)
    {
        int n = raw.Length / blockSize;
        var blocks = Enumerable.Range(0, n).Select(i => (tamper ?? ((_, b) => b))(i, Zlib(raw.AsSpan(i * blockSize, blockSize)))).ToArray();
        var header = new byte[136 + (n + 1) * 8];
        "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(128), (uint)blockSize);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(132), (uint)n);
        long offset = header.Length;
        for (int i = 0; i <= n; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(136 + i * 8), (ulong)offset);
            if (i < n) offset += blocks[i].Length;
        }
        using var fs = File.Create(path);
        fs.Write(header);
        foreach (var b in blocks) fs.Write(b);
    }

    private static byte[] Content(int size)
    {
        var raw = new byte[size];
        new Random(3).NextBytes(raw.AsSpan(0, size / 2));
        return raw;
    }

    [TestMethod]
    [DataRow(512)]
    [DataRow(65536)]
    [DataRow(3 << 20)] // three pages of the block buffer
    public void ReadsTheContentBack(int blockSize)
    {
        using var tmp = new TempDir();
        byte[] raw = Content(Math.Max(4 * blockSize, 1 << 20));
        Write(tmp["a.cloop"], raw, blockSize);
        using var dev = Open(tmp["a.cloop"]);
        Assert.AreEqual(raw.Length, dev.VirtualSize);
        var all = new byte[raw.Length];
        dev.Read(0, all);
        CollectionAssert.AreEqual(raw, all);
    }

    [TestMethod]
    public void UnalignedRequestsAcrossBlocksReadTheSameBytes()
    {
        using var tmp = new TempDir();
        byte[] raw = Content(8 * 4096);
        Write(tmp["a.cloop"], raw, 4096);
        using var dev = Open(tmp["a.cloop"]);
        foreach (var (offset, length) in new[] { (1, 7), (4095, 2), (100, 20_000), (0, 1), (raw.Length - 3, 3), (8191, 4097) })
        {
            var part = new byte[length];
            dev.Read(offset, part);
            CollectionAssert.AreEqual(raw.AsSpan(offset, length).ToArray(), part, $"{offset}+{length}");
        }
    }

    [TestMethod]
    [DataRow("long")]
    [DataRow("short")]
    [DataRow("no-trailer")]
    public void ABadBlockFailsOnlyItsReadsNamingTheFile(string kind)
    {
        using var tmp = new TempDir();
        byte[] raw = Content(4 * 4096);
        Write(tmp["a.cloop"], raw, 4096, (i, b) => i != 2 ? b : kind switch
        {
            "long" => Zlib(new byte[1 << 20]),
            "short" => Zlib(new byte[4095]),
            _ => b[..^4],
        });
        using var dev = Open(tmp["a.cloop"]);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Read(2 * 4096 + 512, new byte[512]));
        StringAssert.StartsWith(e.Message, $"'{tmp["a.cloop"]}': compressed block 2 at offsets ");
        StringAssert.EndsWith(e.Message, "does not inflate to exactly 4096 bytes: Input/output error");
        var ok = new byte[4096];
        dev.Read(3 * 4096, ok);
        CollectionAssert.AreEqual(raw.AsSpan(3 * 4096, 4096).ToArray(), ok, "the next block still reads");
        Assert.ThrowsExactly<ImageCorruptException>(() => dev.Read(2 * 4096, new byte[512]), "and the bad one fails again");
        // whole blocks are inflated in parallel straight into the buffer: the same failure
        var whole = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Read(0, new byte[raw.Length]));
        Assert.AreEqual(e.Message, whole.Message);
        var two = new byte[2 * 4096];
        dev.Read(0, two);
        CollectionAssert.AreEqual(raw.AsSpan(0, 2 * 4096).ToArray(), two, "the blocks before it read, in parallel too");
    }

    [TestMethod]
    public void AHugeTableClaimIsRefusedBeforeAllocating()
    {
        using var tmp = new TempDir();
        Write(tmp["a.cloop"], Content(4096), 4096);
        using (var fs = new FileStream(tmp["a.cloop"], FileMode.Open))
        {
            fs.Position = 132;
            fs.Write([0x03, 0xFF, 0xFF, 0xFF]); // 67108863 blocks: a 512 MiB table
        }
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(tmp["a.cloop"]));
        StringAssert.Contains(e.Message, "offsets table at offset 136 (536870912 bytes) lies past the end of the file");
        Assert.IsLessThan(16L << 20, GC.GetTotalAllocatedBytes(precise: true) - before, "no allocation of the claimed size");
    }

    [TestMethod]
    public void OpeningForWritingIsRefusedAsInQemu()
    {
        using var tmp = new TempDir();
        Write(tmp["a.cloop"], Content(4096), 4096);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(tmp["a.cloop"], writable: true));
        Assert.AreEqual($"Could not open '{tmp["a.cloop"]}': Image is read-only", e.Message);
    }
}
