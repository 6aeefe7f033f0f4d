using ImageBuild.Engine.Compression.Lzfse;

namespace ImageBuild.Engine.Tests.Compression.Lzfse;

/// <summary>The block framing of LZFSE streams, with hand-built bvx-/bvx$ streams.</summary>
[TestClass]
public sealed class LzfseStreamTests
{
    private static InvalidDataException Fails(byte[] stream, int capacity = 1 << 16) =>
        Assert.ThrowsExactly<InvalidDataException>(() => LzfseDecoder.Decode(stream, new byte[capacity]));

    [TestMethod]
    public void EndOfStreamAlone_DecodesToNothing()
    {
        Assert.AreEqual(0, LzfseDecoder.Decode("bvx$"u8, Span<byte>.Empty));
        Assert.AreEqual(0, LzfseDecoder.Decode(LzfseStreams.Of(LzfseStreams.RawBlock([])), new byte[4]));
    }

    [TestMethod]
    public void RawBlocks_AreCopiedInOrder()
    {
        byte[] a = LzfseStreams.Bytes(1000, 1), b = LzfseStreams.Bytes(1, 2), c = LzfseStreams.Bytes(70000, 3);
        var output = new byte[a.Length + b.Length + c.Length + 5];
        int n = LzfseDecoder.Decode(LzfseStreams.Of(LzfseStreams.RawBlock(a), LzfseStreams.RawBlock(b), LzfseStreams.RawBlock(c)), output);
        Assert.AreEqual(a.Length + b.Length + c.Length, n);
        CollectionAssert.AreEqual((byte[])[.. a, .. b, .. c], output[..n]);
        Assert.IsTrue(output.AsSpan(n).IndexOfAnyExcept((byte)0) < 0, "nothing written past the decoded bytes");
    }

    [TestMethod]
    public void BytesAfterTheEndOfStream_AreIgnored()
    {
        byte[] stream = [.. LzfseStreams.Of(LzfseStreams.RawBlock([1, 2, 3])), 0xFF, 0xFE];
        var output = new byte[3];
        Assert.AreEqual(3, LzfseDecoder.Decode(stream, output));
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, output);
    }

    [TestMethod]
    public void FramingErrors_NameTheSourceOffset()
    {
        Assert.AreEqual("lzfse: at source offset 0: stream ends without an end-of-stream (bvx$) block", Fails([]).Message);
        Assert.AreEqual("lzfse: at source offset 11: stream ends without an end-of-stream (bvx$) block",
            Fails(LzfseStreams.RawBlock([1, 2, 3])).Message);
        Assert.AreEqual("lzfse: at source offset 11: unknown block magic 0x34333231",
            Fails([.. LzfseStreams.RawBlock([1, 2, 3]), .. "1234bvx$"u8.ToArray()]).Message);
        Assert.AreEqual("lzfse: block at source offset 0: bvx- header is truncated", Fails([.. "bvx-"u8.ToArray(), 1, 0]).Message);
        Assert.AreEqual("lzfse: block at source offset 0: bvxn header is truncated", Fails([.. "bvxn"u8.ToArray(), 1, 0, 0, 0, 0]).Message);
        Assert.AreEqual("lzfse: block at source offset 0: bvx2 header needs 32 bytes, 20 remain", Fails([.. "bvx2"u8.ToArray(), .. new byte[16]]).Message);
        Assert.AreEqual("lzfse: block at source offset 0: bvx1 header needs 772 bytes, 100 remain", Fails([.. "bvx1"u8.ToArray(), .. new byte[96]]).Message);
    }

    [TestMethod]
    public void RawBlockPastTheSource_IsAnError()
    {
        byte[] block = LzfseStreams.RawBlock([1, 2, 3]);
        block[4] = 200;
        Assert.AreEqual("lzfse: block at source offset 0: bvx- block of 200 bytes passes the source's end (7 bytes remain)",
            Fails([.. block, .. LzfseStreams.End]).Message);
    }

    [TestMethod]
    public void Bombs_AreRefusedBeforeAnythingIsWritten()
    {
        // A raw block promising 4 GiB - 1 bytes from a 12-byte stream, and one a single byte too big for the destination.
        byte[] huge = [.. "bvx-"u8.ToArray(), 0xFF, 0xFF, 0xFF, 0xFF, .. LzfseStreams.End];
        Assert.AreEqual("lzfse: block at source offset 0: 4294967295 raw bytes at output offset 0 overflow the destination's 65536 bytes", Fails(huge).Message);
        byte[] second = LzfseStreams.Of(LzfseStreams.RawBlock([1, 2]), LzfseStreams.RawBlock([3, 4, 5]));
        var output = new byte[4];
        var e = Assert.ThrowsExactly<InvalidDataException>(() => LzfseDecoder.Decode(second, output));
        Assert.AreEqual("lzfse: block at source offset 10: 3 raw bytes at output offset 2 overflow the destination's 4 bytes", e.Message);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 0, 0 }, output);
    }
}
