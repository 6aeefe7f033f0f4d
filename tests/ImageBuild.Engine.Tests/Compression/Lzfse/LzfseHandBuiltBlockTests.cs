using ImageBuild.Engine.Compression.Lzfse;

namespace ImageBuild.Engine.Tests.Compression.Lzfse;

/// <summary>
/// bvx2 blocks built by hand whose tables give every state to one symbol, so each symbol costs zero bits and the
/// payloads are just the seven zero bytes a stream's first read needs: the output follows from the header alone.
/// </summary>
[TestClass]
public sealed class LzfseHandBuiltBlockTests
{
    /// <summary>A block of <paramref name="literals"/> copies of 'A' then <paramref name="matches"/> triplets (l, m, d).</summary>
    private static byte[] Block(uint raw, uint literals, uint matches, int lSymbol, int mSymbol, int dSymbol, byte lastLmdByte = 0)
    {
        var f = new ushort[LzfseLimits.FrequencyCount];
        f[lSymbol] = 64;
        f[20 + mSymbol] = 64;
        f[40 + dSymbol] = 256;
        f[104 + 'A'] = 1024;
        byte[] header = LzfseHeaders.V2(raw, literals, 7, matches, 0, [0, 0, 0, 0], 7, 0, 0, 0, 0, f);
        return [.. header, .. new byte[13], lastLmdByte];
    }

    private static byte[] Decode(byte[] stream, int capacity)
    {
        var output = new byte[capacity];
        int n = LzfseDecoder.Decode(stream, output);
        return output[..n];
    }

    [TestMethod]
    public void OneSymbolTables_DecodeFromTheHeaderAlone()
    {
        // L symbol 4 = 4 literals, M symbol 10 = 10 bytes, D symbol 1 = distance 1: 4 + 10 'A's.
        byte[] stream = LzfseStreams.Of(Block(14, 4, 1, 4, 10, 1));
        CollectionAssert.AreEqual(Enumerable.Repeat((byte)'A', 14).ToArray(), Decode(stream, 14));
    }

    [TestMethod]
    public void RepeatedTriplets_AndBlocksAfterOtherBlocks()
    {
        // Three triplets of (2 literals, 3 match bytes at distance 1), after a raw block "xyz".
        byte[] stream = LzfseStreams.Of(LzfseStreams.RawBlock("xyz"u8.ToArray()), Block(15, 8, 3, 2, 3, 1));
        CollectionAssert.AreEqual("xyzAAAAAAAAAAAAAAA"u8.ToArray(), Decode(stream, 100));
    }

    [TestMethod]
    public void ExtraBitSymbols_StartAtTheirBaseValues()
    {
        // M symbol 16 = 16 + 3 extra bits, D symbol 4 = 4 + 1 extra bit; all-zero bits give 16 and 4.
        byte[] stream = LzfseStreams.Of(LzfseStreams.RawBlock("1234"u8.ToArray()), Block(4 + 16, 4, 1, 4, 16, 4));
        CollectionAssert.AreEqual("1234AAAAAAAAAAAAAAAAAAAA"u8.ToArray(), Decode(stream, 100));
    }

    [TestMethod]
    public void ExtraBits_ComeFromTheTopOfTheStreamsLastByte_InLmdOrder()
    {
        // The backward stream's first bits are the last byte's highest: 101 (M extra = 5, M = 21), then 1 (D extra = 1,
        // D = 5). Five back from offset 8 is the '4': the match repeats "4AAAA".
        byte[] stream = LzfseStreams.Of(LzfseStreams.RawBlock("1234"u8.ToArray()), Block(4 + 21, 4, 1, 4, 16, 4, 0b1011_0000));
        var expected = new List<byte>("1234AAAA"u8.ToArray());
        for (int i = 0; i < 21; i++)
            expected.Add(expected[^5]);
        CollectionAssert.AreEqual(expected.ToArray(), Decode(stream, 100));
    }

    [TestMethod]
    public void FirstMatchRepeatingNoDistance_IsAnError()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Decode(LzfseStreams.Of(Block(14, 4, 1, 4, 10, 0)), 14));
        Assert.AreEqual("lzfse: block at source offset 0: match 0: distance 0 at output offset 4 points before the output's start", e.Message);
    }

    [TestMethod]
    public void DistanceBeyondTheOutput_IsAnError()
    {
        // D symbol 5 = distance 6, with only 4 bytes written.
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Decode(LzfseStreams.Of(Block(14, 4, 1, 4, 10, 5)), 14));
        Assert.AreEqual("lzfse: block at source offset 0: match 0: distance 6 at output offset 4 points before the output's start", e.Message);
    }

    [TestMethod]
    public void MoreTripletsThanTheRawSize_IsAnError()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Decode(LzfseStreams.Of(Block(20, 8, 2, 4, 10, 1)), 100));
        Assert.AreEqual("lzfse: block at source offset 0: match 1: 4 literals and 10 match bytes overflow the block's 20 raw bytes", e.Message);
    }

    [TestMethod]
    public void LiteralRunsBeyondTheDecodedLiterals_AreAnError()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Decode(LzfseStreams.Of(Block(28, 4, 2, 4, 10, 1)), 100));
        Assert.AreEqual("lzfse: block at source offset 0: match 1: literal run of 4 passes the block's 4 literals", e.Message);
    }

    [TestMethod]
    public void EmptyTablesWithSymbolsToDecode_AreErrors()
    {
        byte[] noLiterals = LzfseHeaders.V2(4, 4, 7, 0, 0, [0, 0, 0, 0], 0, 0, 0, 0, 0, new ushort[LzfseLimits.FrequencyCount]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Decode(LzfseStreams.Of([.. noLiterals, .. new byte[7]]), 4));
        Assert.AreEqual("lzfse: block at source offset 0: 4 literals but an empty literal frequency table", e.Message);
    }
}
