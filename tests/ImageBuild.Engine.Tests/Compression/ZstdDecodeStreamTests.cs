using System.Buffers.Binary;
using System.Security.Cryptography;
using ImageBuild.Engine.Compression;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Compression;

/// <summary>
/// <see cref="ZstdDecodeStream"/> over the machine's libzstd and over ZstdSharp: what `zstd -d` accepts round trips
/// (frames from ZstdSharp and from the zstd CLI, concatenated, empty, skippable, with a large window), and what it
/// refuses (truncated, garbage, empty, a window over the decoder's limit) is a one-line InvalidDataException.
/// </summary>
[TestClass]
public sealed class ZstdDecodeStreamTests
{
    private const string Name = "blob sha256:ab";

    private static ZstdDecodeStream Open(Stream source, bool native, bool leaveOpen = false)
    {
        if (native) Assert.IsTrue(ZstdLibrary.TryLoad(out string why), why);
        var stream = ZstdDecodeStream.Open(source, leaveOpen, Name, useNativeZstd: native);
        Assert.AreEqual(native, stream.UsesNativeZstd);
        return stream;
    }

    private static byte[] Frame(ReadOnlySpan<byte> data, int level = 3)
    {
        using var compressor = new ZstdSharp.Compressor(level);
        return compressor.Wrap(data).ToArray();
    }

    /// <summary>A skippable frame (magic 0x184D2A5?) carrying <paramref name="length"/> bytes that decode to nothing.</summary>
    private static byte[] SkippableFrame(int length)
    {
        var frame = new byte[8 + length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, 0x184D2A53);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), (uint)length);
        frame.AsSpan(8).Fill(0x5A);
        return frame;
    }

    /// <summary>A frame of one raw block of one byte whose header asks for a 2^<paramref name="windowLog"/>-byte window.</summary>
    private static byte[] RawFrame(int windowLog, byte value) =>
        [0x28, 0xB5, 0x2F, 0xFD, 0x00, (byte)((windowLog - 10) << 3), 0x09, 0x00, 0x00, value];

    private static byte[] ReadAll(Stream stream, int chunk)
    {
        using var output = new MemoryStream();
        var buffer = new byte[chunk];
        int n;
        while ((n = stream.Read(buffer)) > 0) output.Write(buffer, 0, n);
        return output.ToArray();
    }

    private static void AssertRefused(byte[] data, bool native, string fragment)
    {
        using var stream = Open(new MemoryStream(data), native);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ReadAll(stream, 4096));
        StringAssert.StartsWith(e.Message, Name + " ");
        Assert.IsFalse(e.Message.Contains('\n'), "one line: " + e.Message);
        StringAssert.Contains(e.Message, fragment);
    }

    [TestMethod]
    [DataRow(true, DisplayName = "libzstd")]
    [DataRow(false, DisplayName = "ZstdSharp")]
    public void ConcatenatedFrames_EmptyAndSkippableOnes_DecodeToTheirData(bool native)
    {
        byte[] a = CompressionTestData.RealBytes(3 << 20);
        byte[] b = CompressionTestData.Random(700_001, 5);
        byte[] stream = [.. Frame(a), .. Frame([]), .. SkippableFrame(100), .. Frame(b, level: 19), .. Frame([]), .. Frame([42])];
        byte[] expected = [.. a, .. b, 42];
        foreach (int chunk in new[] { 1, 512, 1 << 20, 8 << 20 })
        {
            using var z = Open(new MemoryStream(stream), native);
            CollectionAssert.AreEqual(expected, ReadAll(z, chunk), $"read {chunk} bytes at a time");
        }
        foreach (byte[] only in new[] { Frame([]), SkippableFrame(0) })
        {
            using var z = Open(new MemoryStream(only), native);
            Assert.AreEqual(0, z.Read(new byte[16]));
            Assert.AreEqual(-1, z.ReadByte());
        }
    }

    [TestMethod]
    [DataRow(true, DisplayName = "libzstd")]
    [DataRow(false, DisplayName = "ZstdSharp")]
    public void Read_ReturnsWhatArrived_WithoutWaitingForMoreInput(bool native)
    {
        // A download that stalls mid-blob: the source gives half the frame, then would block (here: fails if asked).
        byte[] data = CompressionTestData.RealBytes(2 << 20);
        byte[] frame = Frame(data);
        using var z = Open(new StallingStream(frame[..(frame.Length / 2)]), native);
        var buffer = new byte[4 << 20];
        var got = new List<byte>();
        try
        {
            int n;
            while ((n = z.Read(buffer)) > 0)
                got.AddRange(buffer.AsSpan(0, n).ToArray());
            Assert.Fail("half a frame cannot decode to the end");
        }
        catch (IOException e) when (e.Message.StartsWith("stalled", StringComparison.Ordinal))
        {
            // the read after the last decodable byte asks for more input
        }
        Assert.IsGreaterThan(data.Length / 4, got.Count, "the bytes decoded from what arrived are returned before more is asked for");
        CollectionAssert.AreEqual(data[..got.Count], got.ToArray());

        // A source that trickles (7 bytes per read) still yields every byte, in order.
        using var trickle = Open(new TrickleStream(frame, 7), native);
        CollectionAssert.AreEqual(data, ReadAll(trickle, 1 << 20));
    }

    [TestMethod]
    [DataRow(true, DisplayName = "libzstd")]
    [DataRow(false, DisplayName = "ZstdSharp")]
    public void TruncatedData_IsRefused_ButACutBetweenFrames_IsNot(bool native)
    {
        byte[] first = Frame(CompressionTestData.RealBytes(300_000));
        byte[] whole = [.. first, .. Frame(CompressionTestData.RealBytes(200_000, skip: 1000))];
        foreach (int cut in new[] { 1, 3, 4, 5, 7, first.Length / 2, first.Length - 1, first.Length + 1, first.Length + 6, whole.Length - 1 })
            AssertRefused(whole[..cut], native, "ends early (truncated zstd stream)");
        using var z = Open(new MemoryStream(first), native);
        Assert.AreEqual(300_000, ReadAll(z, 65536).Length);
    }

    [TestMethod]
    [DataRow(true, DisplayName = "libzstd")]
    [DataRow(false, DisplayName = "ZstdSharp")]
    public void GarbageEmptyAndOversizedWindows_AreRefused(bool native)
    {
        AssertRefused(CompressionTestData.Random(5000, 9), native, "is not valid zstd data (Unknown frame descriptor)");
        byte[] frame = Frame(CompressionTestData.RealBytes(100_000));
        AssertRefused([.. frame, .. CompressionTestData.Random(100, 10)], native, "is not valid zstd data (Unknown frame descriptor)");
        byte[] damaged = (byte[])frame.Clone();
        for (int i = 20; i < damaged.Length - 20; i += 97) damaged[i] ^= 0x55;
        AssertRefused(damaged, native, "is not valid zstd data (");
        AssertRefused([], native, "is empty (no zstd frame)");
        // The hand-made frame decodes with a small window; asking for 2 GiB exceeds the decoder's 128 MiB limit.
        using (var z = Open(new MemoryStream(RawFrame(20, 77)), native))
            CollectionAssert.AreEqual(new byte[] { 77 }, ReadAll(z, 16));
        AssertRefused(RawFrame(31, 77), native, "is not valid zstd data (Frame requires too much memory for decoding)");
    }

    [TestMethod]
    [RequiresTool("zstd")]
    [DataRow(true, DisplayName = "libzstd")]
    [DataRow(false, DisplayName = "ZstdSharp")]
    public void FramesOfTheZstdCli_WithALongWindow_Decode(bool native)
    {
        string dir = Directory.CreateTempSubdirectory("zstd-decode-").FullName;
        try
        {
            // 12 MiB: one 4 MiB random block three times, which only a window over 4 MiB can match (--long=24).
            byte[] block = CompressionTestData.Random(4 << 20, 11);
            using (var f = File.Create(Path.Combine(dir, "big")))
                for (int i = 0; i < 3; i++) f.Write(block);
            File.WriteAllBytes(Path.Combine(dir, "small"), CompressionTestData.RealBytes(500_000));
            ExternalTools.RunOk("zstd", dir, "-q", "--long=24", "-o", "big.zst", "big");
            ExternalTools.RunOk("zstd", dir, "-q", "-19", "--check", "-o", "small.zst", "small");
            Assert.IsLessThan(5L << 20, new FileInfo(Path.Combine(dir, "big.zst")).Length, "the long window found the repeats");

            using (var joined = File.Create(Path.Combine(dir, "joined.zst")))
                foreach (string part in new[] { "small.zst", "big.zst", "small.zst" })
                    using (var p = File.OpenRead(Path.Combine(dir, part)))
                        p.CopyTo(joined);

            using var z = Open(File.OpenRead(Path.Combine(dir, "joined.zst")), native);
            using var expected = new MemoryStream();
            expected.Write(File.ReadAllBytes(Path.Combine(dir, "small")));
            Assert.IsTrue(SHA256.HashData(expected.ToArray()).AsSpan().SequenceEqual(HashOf(z, 500_000)), "first small frame");
            for (int i = 0; i < 3; i++)
                Assert.IsTrue(SHA256.HashData(block).AsSpan().SequenceEqual(HashOf(z, block.Length)), $"copy {i} of the block");
            Assert.IsTrue(SHA256.HashData(expected.ToArray()).AsSpan().SequenceEqual(HashOf(z, 500_000)), "last small frame");
            Assert.AreEqual(0, z.Read(new byte[1]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static byte[] HashOf(Stream stream, int length)
    {
        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return SHA256.HashData(buffer);
    }

    [TestMethod]
    [DataRow(true, DisplayName = "libzstd")]
    [DataRow(false, DisplayName = "ZstdSharp")]
    public void Dispose_FreesOnce_AndClosesTheSourceUnlessLeftOpen(bool native)
    {
        var owned = new MemoryStream(Frame([1, 2, 3]));
        var z = Open(owned, native);
        Assert.AreEqual(1, z.ReadByte());
        z.Dispose();
        z.Dispose();
        Assert.IsFalse(owned.CanRead, "the source is disposed with the stream");
        Assert.IsFalse(z.CanRead);
        Assert.ThrowsExactly<ObjectDisposedException>(() => z.Read(new byte[4]));

        var kept = new MemoryStream(Frame([1, 2, 3]));
        using (var z2 = Open(kept, native, leaveOpen: true))
            Assert.AreEqual(3, z2.Read(new byte[8]));
        Assert.IsTrue(kept.CanRead, "leaveOpen keeps the source");
        Assert.ThrowsExactly<NotSupportedException>(() => z.Write(new byte[1], 0, 1));
    }

    /// <summary>A source that returns at most a few bytes per read, as a slow network stream does.</summary>
    private sealed class TrickleStream(byte[] data, int step) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(step, buffer.Length)]);
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(step, count));
    }

    /// <summary>Gives its bytes, then fails any further read: a stream whose next read would block.</summary>
    private sealed class StallingStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => Position < Length ? base.Read(buffer) : throw Stalled();

        public override int Read(byte[] buffer, int offset, int count) => Position < Length ? base.Read(buffer, offset, count) : throw Stalled();

        private static IOException Stalled() => new("stalled: the decoder asked for more input while it had output to return");
    }
}
