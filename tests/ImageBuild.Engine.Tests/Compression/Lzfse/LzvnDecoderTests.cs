using ImageBuild.Engine.Compression.Lzfse;

namespace ImageBuild.Engine.Tests.Compression.Lzfse;

/// <summary>bvxn blocks built opcode by opcode with <see cref="LzvnWriter"/>: every opcode class, and every way a
/// block can be corrupt.</summary>
[TestClass]
public sealed class LzvnDecoderTests
{
    private static byte[] Decode(byte[] stream, int capacity)
    {
        var output = new byte[capacity];
        int n = LzfseDecoder.Decode(stream, output);
        return output[..n];
    }

    private static byte[] OneBlock(LzvnWriter w) => LzfseStreams.Of(LzvnWriter.Block(w.Code, w.BlockRawBytes));

    private static InvalidDataException Fails(byte[] stream, int capacity = 1 << 16) =>
        Assert.ThrowsExactly<InvalidDataException>(() => LzfseDecoder.Decode(stream, new byte[capacity]));

    [TestMethod]
    public void EveryOpcodeClass_DecodesAsTheModel()
    {
        var w = new LzvnWriter()
            .Literals(LzfseStreams.Bytes(7, 1))                      // small literal
            .Literals(LzfseStreams.Bytes(271, 2))                    // large literal, longest
            .Literals(LzfseStreams.Bytes(16, 3))                     // large literal, shortest
            .SmallDistance([], 3, 1)                                 // match only, overlapping
            .SmallDistance([1, 2, 3], 4, 290)                       // literals and match
            .Nop(0x0E)
            .MediumDistance([9], 34, 250)                            // longest medium match
            .MediumDistance([], 3, 4)
            .LargeDistance([4, 5], 6, 300)
            .PreviousDistance([6], 8)                                // reuses 300
            .Match(15)                                               // small match, previous distance
            .Nop(0x16)
            .Match(271)                                              // large match, longest
            .Match(16)
            .SmallDistance([7, 8], 5, 2)                             // overlapping pattern
            .Literals(LzfseStreams.Bytes(255, 4))
            .Literals(LzfseStreams.Bytes(255, 5))
            .Literals(LzfseStreams.Bytes(255, 6))
            .Literals(LzfseStreams.Bytes(255, 7))
            .Literals(LzfseStreams.Bytes(255, 8))
            .Literals(LzfseStreams.Bytes(255, 9))
            .Literals(LzfseStreams.Bytes(255, 10))
            .Literals(LzfseStreams.Bytes(255, 11))
            .MediumDistance([], 20, 2047 + 100)                      // beyond the small form's reach
            .LargeDistance([], 9, 2500)
            .EndOfStream();
        Assert.IsGreaterThan(2600, w.Expected.Count);
        CollectionAssert.AreEqual(w.Expected.ToArray(), Decode(OneBlock(w), w.Expected.Count));
    }

    [TestMethod]
    public void LargeDistance_ReachesTheWholeSixteenBitRange()
    {
        var w = new LzvnWriter();
        for (int i = 0; i < 260; i++)
            w.Literals(LzfseStreams.Bytes(255, 100 + i));
        w.LargeDistance([], 10, 65535).LargeDistance([1], 4, 40000).EndOfStream();
        CollectionAssert.AreEqual(w.Expected.ToArray(), Decode(OneBlock(w), w.Expected.Count));
    }

    [TestMethod]
    public void MatchesMayReachIntoEarlierBlocks()
    {
        byte[] first = LzfseStreams.Bytes(100, 1);
        var second = new LzvnWriter(first).SmallDistance([], 10, 100).Match(50).EndOfStream();
        byte[] stream = LzfseStreams.Of(LzfseStreams.RawBlock(first), LzvnWriter.Block(second.Code, second.BlockRawBytes));
        CollectionAssert.AreEqual(second.Expected.ToArray(), Decode(stream, 200));
    }

    [TestMethod]
    public void LiteralAndMatchForms_CoverExactlyTheirOpcodeBytes()
    {
        // Every L/M pair the writer accepts round-trips; one more match byte would be another opcode's byte.
        for (int l = 0; l <= 3; l++)
            for (int m = 3; m <= LzvnWriter.MaxShortMatch(l); m++)
            {
                byte[] lits = LzfseStreams.Bytes(l, m);
                var w = new LzvnWriter(LzfseStreams.Bytes(64, 1)).SmallDistance(lits, m, 60).LargeDistance(lits, m, 61);
                if (l > 0)
                    w.PreviousDistance(lits, m);
                w.EndOfStream();
                byte[] stream = LzfseStreams.Of(LzfseStreams.RawBlock(LzfseStreams.Bytes(64, 1)), LzvnWriter.Block(w.Code, w.BlockRawBytes));
                CollectionAssert.AreEqual(w.Expected.ToArray(), Decode(stream, 200), $"L={l} M={m}");
            }
    }

    [TestMethod]
    public void UndefinedOpcodes_AreErrors()
    {
        int undefined = 0;
        for (int op = 0; op < 256; op++)
        {
            bool isUndefined = op is 0x1E or 0x26 or 0x2E or 0x36 or 0x3E or (>= 0x70 and <= 0x7F) or (>= 0xD0 and <= 0xDF);
            if (!isUndefined)
                continue;
            undefined++;
            var w = new LzvnWriter().Literals([1, 2, 3, 4]).Raw((byte)op, 0, 0, 0).EndOfStream();
            var e = Fails(OneBlock(w));
            Assert.AreEqual($"lzfse: block at source offset 0: lzvn opcode 0x{op:x2} at source offset 17 is undefined", e.Message);
        }
        Assert.AreEqual(37, undefined);
    }

    [TestMethod]
    [DataRow(new byte[] { 0x00, 0x05 }, DisplayName = "small distance 5 with nothing written")]
    [DataRow(new byte[] { 0xE2, 1, 2, 0x00, 0x03 }, DisplayName = "small distance 3 after 2 bytes")]
    [DataRow(new byte[] { 0xE2, 1, 2, 0xF3 }, DisplayName = "match-only with no previous distance")]
    [DataRow(new byte[] { 0xE2, 1, 2, 0x46, 9 }, DisplayName = "previous distance with none yet")]
    [DataRow(new byte[] { 0xE2, 1, 2, 0x07, 0x00, 0x01 }, DisplayName = "large distance 256 after 2 bytes")]
    [DataRow(new byte[] { 0xE2, 1, 2, 0xA0, 0x00, 0x00 }, DisplayName = "medium distance 0")]
    public void MatchesBeforeTheOutputsStart_AreErrors(byte[] code)
    {
        byte[] stream = LzfseStreams.Of(LzvnWriter.Block([.. code, 0x06, 0, 0, 0, 0, 0, 0, 0], 100));
        StringAssert.Contains(Fails(stream).Message, "points before the output's start");
    }

    [TestMethod]
    public void EndOfStream_MustCloseThePayloadAndTheRawSize()
    {
        var good = new LzvnWriter().Literals([1, 2, 3]).EndOfStream();
        StringAssert.Contains(Fails(LzfseStreams.Of(LzvnWriter.Block([.. good.Code, 0], 3))).Message, "leaves 1 payload bytes unread");
        StringAssert.Contains(Fails(LzfseStreams.Of(LzvnWriter.Block(good.Code, 4))).Message, "ends 1 bytes short of the block's raw size");
        StringAssert.Contains(Fails(LzfseStreams.Of(LzvnWriter.Block(good.Code, 2))).Message, "overflows the block's raw size");
        StringAssert.Contains(Fails(LzfseStreams.Of(LzvnWriter.Block(good.Code[..^1], 3))).Message, "needs 8 bytes");
        StringAssert.Contains(Fails(LzfseStreams.Of(LzvnWriter.Block([0xE3, 1, 2, 3], 3))).Message, "without an end-of-stream opcode");
    }

    [TestMethod]
    public void TruncatedOpcodesAndLiterals_AreErrors()
    {
        StringAssert.Contains(Fails(LzfseStreams.Of(LzvnWriter.Block([0xE5, 1, 2], 5))).Message, "literal run of 5 at source offset 12 passes the payload's end");
        StringAssert.Contains(Fails(LzfseStreams.Of(LzvnWriter.Block([0xE0], 20))).Message, "needs 2 bytes");
        StringAssert.Contains(Fails(LzfseStreams.Of(LzvnWriter.Block([0xE1, 7, 0xA0, 1], 20))).Message, "needs 3 bytes");
        StringAssert.Contains(Fails(LzfseStreams.Of(LzvnWriter.Block([0xE1, 7, 0x01], 20))).Message, "needs 2 bytes");
    }

    [TestMethod]
    public void BlockLargerThanTheDestination_IsRefusedNotTruncated()
    {
        var w = new LzvnWriter().Literals([1, 2, 3]).SmallDistance([], 10, 1).EndOfStream();
        var e = Fails(OneBlock(w), capacity: 12);
        Assert.AreEqual("lzfse: block at source offset 0: 13 raw bytes at output offset 0 overflow the destination's 12 bytes", e.Message);
        CollectionAssert.AreEqual(w.Expected.ToArray(), Decode(OneBlock(w), 13));
    }

    [TestMethod]
    public void PayloadPastTheSourcesEnd_IsAnError()
    {
        var w = new LzvnWriter().Literals([1, 2, 3]).EndOfStream();
        byte[] block = LzvnWriter.Block(w.Code, 3);
        block[8] += 5;
        StringAssert.Contains(Fails(LzfseStreams.Of(block)).Message, "bvxn payload of 17 bytes passes the source's end");
    }
}
