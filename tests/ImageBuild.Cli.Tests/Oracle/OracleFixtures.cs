using System.Buffers.Binary;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>Deterministic test content and byte-level helpers shared by the oracle tests.</summary>
public static class OracleFixtures
{
    /// <summary>
    /// Deterministic bytes that compress to roughly half: runs of pseudo-random bytes mixed with repeated text, so
    /// compressed clusters get odd lengths and straddle host cluster boundaries.
    /// </summary>
    public static byte[] MixedContent(int length, int seed)
    {
        var rng = new Random(seed);
        var buf = new byte[length];
        var text = "ImageBuild oracle test content; the quick brown fox jumps over the lazy dog. "u8.ToArray();
        int i = 0;
        while (i < length)
        {
            int run = rng.Next(16, 700);
            bool random = rng.Next(2) == 0;
            for (int k = 0; k < run && i < length; k++, i++)
                buf[i] = random ? (byte)rng.Next(256) : text[(i + seed) % text.Length];
        }
        return buf;
    }

    /// <summary>Writes a sparse raw file of <paramref name="size"/> with MixedContent at the given (offset, length) spots.</summary>
    public static void WriteSparseRaw(string path, long size, params (long Offset, int Length)[] extents)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        fs.SetLength(size);
        int seed = 1;
        foreach (var (off, len) in extents)
        {
            fs.Position = off;
            fs.Write(MixedContent(len, seed++));
        }
    }

    /// <summary>Fails unless the two files have the same length and bytes (streamed; fine for sparse GiB files).</summary>
    public static void AssertFilesEqual(string expectedPath, string actualPath, string what)
    {
        var fe = new FileInfo(expectedPath);
        var fa = new FileInfo(actualPath);
        Assert.IsTrue(fa.Exists, $"{what}: {actualPath} was not written");
        Assert.AreEqual(fe.Length, fa.Length, $"{what}: length");
        using var se = new FileStream(expectedPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        using var sa = new FileStream(actualPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        var be = new byte[1 << 20];
        var ba = new byte[1 << 20];
        long pos = 0;
        while (true)
        {
            int ne = se.ReadAtLeast(be, be.Length, throwOnEndOfStream: false);
            int na = sa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            Assert.AreEqual(ne, na, $"{what}: short read at {pos}");
            if (ne == 0) return;
            int diff = be.AsSpan(0, ne).CommonPrefixLength(ba.AsSpan(0, na));
            if (diff < ne)
                Assert.Fail($"{what}: first differing byte at offset {pos + diff} (expected 0x{be[diff]:x2}, actual 0x{ba[diff]:x2})");
            pos += ne;
        }
    }

    public static ulong ReadBe64(string path, long offset)
    {
        using var fs = File.OpenRead(path);
        var b = new byte[8];
        fs.Position = offset;
        fs.ReadExactly(b);
        return BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    public static uint ReadBe32(string path, long offset)
    {
        using var fs = File.OpenRead(path);
        var b = new byte[4];
        fs.Position = offset;
        fs.ReadExactly(b);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    public static void WriteBe64(string path, long offset, ulong value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        Patch(path, offset, b);
    }

    public static void WriteBe32(string path, long offset, uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        Patch(path, offset, b);
    }

    public static void WriteBe16(string path, long offset, ushort value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        Patch(path, offset, b);
    }

    public static void Patch(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        fs.Write(bytes);
    }

    /// <summary>Host offset of the 16-bit refcount entry of host cluster <paramref name="clusterIndex"/> (first refblock).</summary>
    public static long RefcountEntryOffset(string qcow2Path, long clusterIndex)
    {
        int clusterBits = (int)ReadBe32(qcow2Path, 20);
        uint refcountOrder = ReadBe32(qcow2Path, 96);
        Assert.AreEqual(4u, refcountOrder, "fixture expects 16-bit refcounts");
        long reftable = (long)ReadBe64(qcow2Path, 48);
        long refblock = (long)(ReadBe64(qcow2Path, reftable) & ~0x1FFUL);
        Assert.IsTrue(clusterIndex < (1L << clusterBits) / 2, "cluster covered by the first refblock");
        return refblock + 2 * clusterIndex;
    }

    /// <summary>Host cluster index of guest offset 0's data (via L1[0] → L2[0]).</summary>
    public static long FirstDataCluster(string qcow2Path)
    {
        int clusterBits = (int)ReadBe32(qcow2Path, 20);
        long l1 = (long)ReadBe64(qcow2Path, 40);
        long l2 = (long)(ReadBe64(qcow2Path, l1) & 0x00FF_FFFF_FFFF_FE00UL);
        long data = (long)(ReadBe64(qcow2Path, l2) & 0x00FF_FFFF_FFFF_FE00UL);
        Assert.AreNotEqual(0L, data, "fixture: guest cluster 0 is allocated");
        return data >> clusterBits;
    }
}
