using System.Buffers.Binary;
using System.Diagnostics;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow.QcowTestSupport;

namespace ImageBuild.Engine.Tests.Qcow;

/// <summary>
/// Hostile headers and tables: one ImageException with qemu's words where qemu refuses, and a refusal naming the
/// file where qemu would read a table or name past the end of the file as zeros; never a crash, a hang or an
/// allocation the file cannot back.
/// </summary>
[TestClass]
public sealed class QcowHostileTests
{
    private static readonly byte[] L1 = new byte[512];

    private static string OpenError(string path)
    {
        var sw = Stopwatch.StartNew();
        var e = Assert.ThrowsExactly<ImageException>(() => Open(path).Dispose());
        Assert.IsLessThan(5, sw.Elapsed.TotalSeconds, "refused quickly");
        string prefix = $"Could not open '{path}': ";
        StringAssert.StartsWith(e.Message, prefix);
        return e.Message[prefix.Length..];
    }

    [TestMethod]
    [DataRow("cluster-bits-8", "Cluster size must be between 512 and 64k")]
    [DataRow("cluster-bits-17", "Cluster size must be between 512 and 64k")]
    [DataRow("cluster-bits-255", "Cluster size must be between 512 and 64k")]
    [DataRow("l2-bits-5", "L2 table size must be between 512 and 64k")]
    [DataRow("l2-bits-14", "L2 table size must be between 512 and 64k")]
    [DataRow("size-0", "Image size is too small (must be at least 2 bytes)")]
    [DataRow("size-1", "Image size is too small (must be at least 2 bytes)")]
    [DataRow("size-max", "Image too large")]
    [DataRow("size-2^49", "Image too large")] // 2^28 L1 entries: one more than qemu's INT_MAX / 8
    [DataRow("size-2^60", "Image too large")]
    [DataRow("crypt-2", "invalid encryption method in qcow header")]
    [DataRow("crypt-1", "Parameter 'encrypt.key-secret' is required for cipher")]
    [DataRow("version-0", "qcow (v1) does not support qcow version 0")]
    [DataRow("version-2", "qcow (v1) does not support qcow version 2\nTry the 'qcow2' driver instead.")]
    [DataRow("bad-magic", "Image not in qcow format")]
    [DataRow("backing-name-1024", "Backing file name too long")]
    public void QemusRefusals(string kind, string message)
    {
        using var tmp = new TempDir();
        string path = tmp["h.qcow"];
        File.WriteAllBytes(path, Build(kind));
        Assert.AreEqual(message, OpenError(path));
    }

    private static byte[] Build(string kind) => kind switch
    {
        "cluster-bits-8" => [.. Header(clusterBits: 8), .. L1],
        "cluster-bits-17" => [.. Header(clusterBits: 17), .. L1],
        "cluster-bits-255" => [.. Header(clusterBits: 255), .. L1],
        "l2-bits-5" => [.. Header(l2Bits: 5), .. L1],
        "l2-bits-14" => [.. Header(l2Bits: 14), .. L1],
        "size-0" => [.. Header(size: 0), .. L1],
        "size-1" => [.. Header(size: 1), .. L1],
        "size-max" => [.. Header(size: ulong.MaxValue), .. L1],
        "size-2^49" => [.. Header(size: 1UL << 49), .. L1],
        "size-2^60" => [.. Header(size: 1UL << 60), .. L1],
        "crypt-2" => [.. Header(crypt: 2), .. L1],
        "crypt-1" => [.. Header(crypt: 1), .. L1],
        "version-0" => [.. Header(version: 0), .. L1],
        "version-2" => [.. Header(version: 2), .. L1],
        "bad-magic" => [.. new byte[4], .. Header()[4..], .. L1],
        "backing-name-1024" => [.. Header(backingOffset: 48, backingSize: 1024, l1Offset: 48 + 1024), .. new byte[1024], .. L1],
        _ => throw new ArgumentException(kind),
    };

    /// <summary>qemu reads these as zeros and goes on; like the qcow2 driver, this engine refuses them, naming the file.</summary>
    [TestMethod]
    [DataRow(48UL + 520, 8L, "L1 table at offset 568 (8 bytes)")]
    [DataRow(1UL << 62, 8L, "L1 table at offset 4611686018427387904 (8 bytes)")]
    [DataRow(ulong.MaxValue - 255, 8L, "L1 table at offset 18446744073709551360 (8 bytes)")]
    public void L1TablePastTheEndIsRefused(ulong l1Offset, long bytes, string what)
    {
        using var tmp = new TempDir();
        string path = tmp["h.qcow"];
        File.WriteAllBytes(path, [.. Header(l1Offset: l1Offset), .. L1]);
        Assert.AreEqual($"'{path}': {what} lies past the end of the file (560 bytes)", OpenError(path));
    }

    [TestMethod]
    public void HugeL1TableIsCheckedAgainstTheFileBeforeAllocating()
    {
        using var tmp = new TempDir();
        string path = tmp["h.qcow"];
        // 2^28 - 1 entries (2 GiB) is within qemu's limit; the file has 560 bytes
        File.WriteAllBytes(path, [.. Header(size: ((1UL << 28) - 1) << 21), .. L1]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        StringAssert.Contains(OpenError(path), "L1 table at offset 48 (2147483640 bytes) lies past the end of the file");
        Assert.IsLessThan(1 << 20, GC.GetAllocatedBytesForCurrentThread() - before, "nothing allocated for the table");
    }

    [TestMethod]
    [DataRow(48UL, 1023u, "backing file name at offset 48 (1023 bytes)")] // the name runs past the 560-byte file
    [DataRow(4096UL, 10u, "backing file name at offset 4096 (10 bytes)")]
    [DataRow(1UL << 62, 10u, "backing file name at offset 4611686018427387904 (10 bytes)")]
    public void BackingNamePastTheEndIsRefused(ulong offset, uint length, string what)
    {
        using var tmp = new TempDir();
        string path = tmp["h.qcow"];
        File.WriteAllBytes(path, [.. Header(backingOffset: offset, backingSize: length), .. L1]);
        Assert.AreEqual($"'{path}': {what} lies past the end of the file (560 bytes)", OpenError(path));
    }

    [TestMethod]
    public void ShortFileIsRefusedAfterQemusFieldChecks()
    {
        using var tmp = new TempDir();
        string path = tmp["h.qcow"];
        File.WriteAllBytes(path, Header()[..40]);
        Assert.AreEqual($"'{path}': file is shorter than the qcow header (40 bytes)", OpenError(path));
        File.WriteAllBytes(path, Header(clusterBits: 20)[..40]);
        Assert.AreEqual("Cluster size must be between 512 and 64k", OpenError(path), "qemu's check on the zero-padded header comes first");
    }

    [TestMethod]
    public void EmptyOrNulBackingNameMeansNone()
    {
        using var tmp = new TempDir();
        string path = tmp["h.qcow"];
        foreach (ulong offset in new ulong[] { 48, 1 << 30, 1UL << 62 }) // an empty name is not read, wherever it is
        {
            File.WriteAllBytes(path, [.. Header(backingOffset: offset, backingSize: 0), .. L1]);
            using var dev = Open(path);
            Assert.IsNull(dev.BackingFilename);
        }
        File.WriteAllBytes(path, [.. Header(backingOffset: 1UL << 63, backingSize: 0), .. L1]);
        Assert.AreEqual($"Could not open '{path}': Input/output error", OpenError(path), "past qemu's largest offset: its EIO");
        File.WriteAllBytes(path, [.. Header(backingOffset: 48, backingSize: 8, l1Offset: 56), .. "ab\0cdefg"u8, .. L1]);
        using (var dev = Open(path, noBacking: true))
            Assert.AreEqual("ab", dev.BackingFilename, "a C string: it ends at the first NUL");
    }

    /// <summary>Reads that qemu fails with EIO: the message names the file and host offset and ends as qemu's does.</summary>
    [TestMethod]
    [DataRow("unaligned", "data cluster at host offset 0x2003 is not sector-aligned: Input/output error")]
    [DataRow("beyond-max", "data cluster at host offset 0x7ffffffffffffe00 lies beyond the largest file offset: Input/output error")]
    [DataRow("compressed-garbage", "could not decompress the cluster at host offset 0x2000: Input/output error")]
    [DataRow("compressed-empty", "could not decompress the cluster at host offset 0x2000: Input/output error")]
    [DataRow("compressed-past-eof", "compressed cluster at host offset 0x10000000000 lies past the end of the file (12288 bytes): Input/output error")]
    public void BadClustersFailTheReadWithEio(string kind, string message)
    {
        const ulong C = 1UL << 63;
        ulong entry = kind switch
        {
            "unaligned" => 8192 + 3,
            "beyond-max" => 0x7ffffffffffffe00,
            "compressed-garbage" => C | (100UL << 51) | 8192,
            "compressed-empty" => C | 8192,
            "compressed-past-eof" => C | (100UL << 51) | (1UL << 40),
            _ => throw new ArgumentException(kind),
        };
        using var tmp = new TempDir();
        string path = tmp["h.qcow"];
        File.WriteAllBytes(path, ImageWithL2(new Dictionary<int, ulong> { [0] = entry }, Enumerable.Repeat((byte)0x55, 4096).ToArray()));
        using var dev = Open(path);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Read(0, new byte[4096]));
        Assert.AreEqual($"'{path}': {message}", e.Message);
        Assert.AreEqual(5, e.Errno);
    }

    [TestMethod]
    public void L2TablePastTheEndIsRefusedOnUse()
    {
        using var tmp = new TempDir();
        string path = tmp["h.qcow"];
        var img = Header().Concat(L1).ToArray();
        BinaryPrimitives.WriteUInt64BigEndian(img.AsSpan(48), 1UL << 62);
        File.WriteAllBytes(path, img);
        using var dev = Open(path);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Read(0, new byte[512]));
        Assert.AreEqual($"'{path}': L2 table at offset 4611686018427387904 (L1 index 0) lies past the end of the file (560 bytes)", e.Message);
        BinaryPrimitives.WriteUInt64BigEndian(img.AsSpan(48), ulong.MaxValue);
        File.WriteAllBytes(path, img);
        using var dev2 = Open(path);
        Assert.ThrowsExactly<ImageCorruptException>(() => Engine.Block.BlockLayer.GetStatus(dev2, 0, 512));
    }

    /// <summary>A data cluster past the end of the file reads zeros in qemu, and here; a compressed stream partly past it is zero-padded.</summary>
    [TestMethod]
    public void ClustersPastTheEndReadZerosAsInQemu()
    {
        using var tmp = new TempDir();
        string path = tmp["h.qcow"];
        var stream = new byte[4096];
        int n = new ImageBuild.Engine.Compression.DeflateClusterCompressor().Compress(Enumerable.Repeat((byte)7, 4096).ToArray(), stream);
        File.WriteAllBytes(path, ImageWithL2(new Dictionary<int, ulong>
        {
            [0] = 1UL << 40,
            [1] = (1UL << 63) | (4095UL << 51) | 8192, // 4095 bytes named, the stream and a few bytes in the file
        }, stream[..n]));
        using var dev = Open(path);
        var buf = new byte[8192];
        dev.Read(0, buf);
        Assert.IsTrue(buf.AsSpan(0, 4096).IndexOfAnyExcept((byte)0) < 0);
        Assert.IsTrue(buf.AsSpan(4096).IndexOfAnyExcept((byte)7) < 0);
    }

    /// <summary>Where qemu refuses too, its exact words (qemu-img info prints "Could not open 'F': " and them).</summary>
    [TestMethod]
    [RequiresQemu]
    [DataRow("cluster-bits-8")]
    [DataRow("l2-bits-14")]
    [DataRow("size-1")]
    [DataRow("size-2^49")]
    [DataRow("crypt-2")]
    [DataRow("version-2")]
    [DataRow("bad-magic")]
    [DataRow("backing-name-1024")]
    public void RefusalsAreWordedAsQemuWordsThem(string kind)
    {
        using var tmp = new TempDir();
        string path = tmp["h.qcow"];
        File.WriteAllBytes(path, Build(kind));
        var r = QemuOracle.Img("info", "-f", "qcow", path);
        Assert.AreEqual(1, r.ExitCode);
        Assert.AreEqual($"qemu-img: Could not open '{path}': {OpenError(path)}\n", r.StdErr);
    }
}
