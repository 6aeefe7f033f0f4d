using ImageBuild.Engine.Compression.Lzfse;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Compression.Lzfse;

/// <summary>
/// A real bvx2 block with one header field changed at a time (re-encoded by the test-side header writer): every
/// out-of-range field is refused with a message naming it, before any table or payload is used.
/// </summary>
[TestClass]
[RequiresSharedImages]
public sealed class LzfseHeaderTests
{
    private static (byte[] Payload, LzfseBlockHeader Header, int RawBytes) Seed()
    {
        byte[] chunk = DmgChunks.Read(DmgChunks.Image("compression-lzfse.dmg"))
            .Where(c => c.Type == DmgChunks.Lzfse).Select(c => c.Data).First(d => d.AsSpan(0, 4).SequenceEqual("bvx2"u8));
        var header = LzfseHeaders.Read(chunk);
        return (chunk[header.HeaderSize..^4], header, (int)header.RawBytes);
    }

    private static string Error(Func<LzfseBlockHeader, byte[]> header)
    {
        var (payload, h, raw) = Seed();
        byte[] stream = [.. header(h), .. payload, .. LzfseStreams.End];
        return Assert.ThrowsExactly<InvalidDataException>(() => LzfseDecoder.Decode(stream, new byte[raw + 100])).Message;
    }

    private static byte[] With(LzfseBlockHeader h, uint? raw = null, uint? literals = null, uint? literalPayload = null, uint? matches = null,
        int? literalBits = null, int[]? literalStates = null, uint? lmdPayload = null, int? lState = null, int? dState = null,
        ushort[]? frequencies = null, uint? headerSize = null) =>
        LzfseHeaders.V2(raw ?? h.RawBytes, literals ?? h.Literals, literalPayload ?? h.LiteralPayloadBytes, matches ?? h.Matches,
            literalBits ?? h.LiteralBits, literalStates ?? h.LiteralStates, lmdPayload ?? h.LmdPayloadBytes, h.LmdBits,
            lState ?? h.LState, h.MState, dState ?? h.DState, frequencies ?? h.Frequencies, headerSize);

    private const string At0 = "lzfse: block at source offset 0: ";

    [TestMethod]
    public void UnchangedHeader_Decodes()
    {
        var (payload, h, raw) = Seed();
        Assert.AreEqual(raw, LzfseDecoder.Decode([.. With(h), .. payload, .. LzfseStreams.End], new byte[raw]));
    }

    [TestMethod]
    public void CountsBeyondTheBlockLimits_AreRefused()
    {
        Assert.AreEqual(At0 + "literal count 40001 exceeds the block's limit of 40000", Error(h => With(h, literals: 40001)));
        Assert.AreEqual(At0 + "match count 10001 exceeds the block's limit of 10000", Error(h => With(h, matches: 10001)));
    }

    [TestMethod]
    public void StatesOutsideTheirTables_AreRefused()
    {
        StringAssert.StartsWith(Error(h => With(h, lState: 64)), At0 + "initial L/M/D states 64/");
        StringAssert.Contains(Error(h => With(h, dState: 256)), "are not below 64/64/256");
        var (payload, seed, raw) = Seed();
        byte[] v1 = LzfseHeaders.V1(seed);
        v1[36] = 0x00;
        v1[37] = 0x04; // literal_state[2] = 1024: only the plain bvx1 header can hold it
        var e = Assert.ThrowsExactly<InvalidDataException>(() => LzfseDecoder.Decode([.. v1, .. payload, .. LzfseStreams.End], new byte[raw]));
        Assert.AreEqual(At0 + "literal state 1024 is not below 1024", e.Message);
    }

    [TestMethod]
    public void HeaderSizeOutOfRange_IsRefused()
    {
        StringAssert.Contains(Error(h => With(h, headerSize: 31)), "bvx2 header size 31 is outside 32..");
        StringAssert.Contains(Error(h => With(h, headerSize: 100000)), "bvx2 header size 100000 is outside 32..");
        StringAssert.Contains(Error(h => With(h, headerSize: 40)), "frequency table");
    }

    [TestMethod]
    public void FrequenciesBeyondTheStateCount_AreRefused()
    {
        var (_, seed, _) = Seed();
        ushort[] literal = (ushort[])seed.Frequencies.Clone();
        literal[104 + 'e']++;
        Assert.AreEqual(At0 + "literal frequencies sum to 1025, more than the table's 1024 states", Error(h => With(h, frequencies: literal)));
        ushort[] d = (ushort[])seed.Frequencies.Clone();
        d[40 + 63] = 1047;
        Assert.AreEqual(At0 + $"D frequencies sum to {1047 + 256 - seed.Frequencies[40 + 63]}, more than the table's 256 states", Error(h => With(h, frequencies: d)));
        ushort[] noL = (ushort[])seed.Frequencies.Clone();
        Array.Clear(noL, 0, 20);
        Assert.AreEqual(At0 + $"{seed.Matches} matches but an empty L, M or D frequency table", Error(h => With(h, frequencies: noL)));
    }

    [TestMethod]
    public void PayloadSizesThatDoNotFit_AreRefused()
    {
        StringAssert.Contains(Error(h => With(h, lmdPayload: h.LmdPayloadBytes + 5)), "passes the source's end");
        StringAssert.Contains(Error(h => With(h, literalPayload: 3, lmdPayload: h.LmdPayloadBytes + h.LiteralPayloadBytes - 3)), "literal payload of 3 bytes is shorter than its first");
        StringAssert.Contains(Error(h => With(h, raw: h.RawBytes + 1)), $"block decodes to {h0().RawBytes} bytes, its header says {h0().RawBytes + 1}");
        StringAssert.Contains(Error(h => With(h, raw: h.RawBytes - 1)), "overflow the block's");
        StringAssert.Contains(Error(h => With(h, literals: h.Literals - 4)), "passes the block's");
    }

    private static LzfseBlockHeader h0() => Seed().Header;

    [TestMethod]
    public void OtherFinalBitCounts_DecodeOrFailCleanly()
    {
        var (payload, seed, raw) = Seed();
        int failures = 0;
        for (int bits = -7; bits <= 0; bits++)
        {
            byte[] stream = [.. With(seed, literalBits: bits), .. payload, .. LzfseStreams.End];
            try
            {
                Assert.AreEqual(raw, LzfseDecoder.Decode(stream, new byte[raw]));
            }
            catch (InvalidDataException e)
            {
                StringAssert.StartsWith(e.Message, At0);
                failures++;
            }
        }
        Assert.IsGreaterThan(0, failures, "some final bit counts leave non-zero bits above the stream's start");
    }

    [TestMethod]
    public void Bvx1HeaderFieldsOutOfRange_AreRefused()
    {
        var (payload, seed, raw) = Seed();
        string V1Error(int offset, int value)
        {
            byte[] v1 = LzfseHeaders.V1(seed);
            BitConverter.TryWriteBytes(v1.AsSpan(offset), value);
            return Assert.ThrowsExactly<InvalidDataException>(() => LzfseDecoder.Decode([.. v1, .. payload, .. LzfseStreams.End], new byte[raw])).Message;
        }
        Assert.AreEqual(At0 + $"final bit counts (1, {seed.LmdBits}) are outside -7..0", V1Error(28, 1));
        Assert.AreEqual(At0 + $"final bit counts ({seed.LiteralBits}, -8) are outside -7..0", V1Error(40, -8));
        Assert.AreEqual(At0 + "literal count 1000000 exceeds the block's limit of 40000", V1Error(12, 1000000));
        StringAssert.Contains(V1Error(20, int.MaxValue), "passes the source's end");
    }
}
