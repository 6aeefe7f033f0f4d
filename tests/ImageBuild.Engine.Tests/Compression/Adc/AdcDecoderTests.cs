using ImageBuild.Engine.Compression.Adc;
using ImageBuild.Engine.Tests.Compression.Lzfse;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Compression.Adc;

/// <summary>ADC streams built opcode by opcode, macOS's real ADC chunks, and corruptions of both.</summary>
[TestClass]
public sealed class AdcDecoderTests
{
    private static byte[] Decode(byte[] source, int capacity)
    {
        var output = new byte[capacity];
        int n = AdcDecoder.Decode(source, output);
        return output[..n];
    }

    private static string Error(byte[] source, int capacity = 1024) =>
        Assert.ThrowsExactly<InvalidDataException>(() => AdcDecoder.Decode(source, new byte[capacity])).Message;

    [TestMethod]
    public void KnownAnswers_ForEachOpcodeForm()
    {
        CollectionAssert.AreEqual("abc"u8.ToArray(), Decode([0x82, (byte)'a', (byte)'b', (byte)'c'], 10));
        // "ab", then 00 0111 00 | 0x01: length 7+3 = 10 at distance 2 (overlapping: repeats "ab").
        CollectionAssert.AreEqual("abababababab"u8.ToArray(), Decode([0x81, (byte)'a', (byte)'b', 0x1C, 0x01], 12));
        // "xyz", then 01 000010 | 00 02: length 2+4 = 6 at distance 3.
        CollectionAssert.AreEqual("xyzxyzxyz"u8.ToArray(), Decode([0x82, (byte)'x', (byte)'y', (byte)'z', 0x42, 0x00, 0x02], 9));
        // Offset 0 is distance 1: the last byte repeated.
        CollectionAssert.AreEqual("qqqq"u8.ToArray(), Decode([0x80, (byte)'q', 0x00, 0x00], 4));
        Assert.AreEqual(0, AdcDecoder.Decode([], Span<byte>.Empty));
    }

    [TestMethod]
    public void EveryOpcodeForm_AcrossItsRange_DecodesAsTheModel()
    {
        var w = new AdcWriter();
        for (int i = 0; i < 600; i++)
            w.Literals(LzfseStreams.Bytes(1 + i % 128, i));
        for (int length = 3; length <= 18; length++)
            w.ShortMatch(length, 1 + (length * 61) % 1024);
        for (int length = 4; length <= 67; length++)
            w.LongMatch(length, 1 + (length * 1013) % 38000);
        w.ShortMatch(18, 1024).LongMatch(67, 1).LongMatch(67, 38000).ShortMatch(3, 2).Literals([1]).LongMatch(5, 65536 - 30000);
        CollectionAssert.AreEqual(w.Expected.ToArray(), Decode(w.Code, w.Expected.Count));
    }

    [TestMethod]
    public void CorruptStreams_AreErrorsNamingTheSourceOffset()
    {
        Assert.AreEqual("adc: match at source offset 0 reaches 1 bytes back from output offset 0, before the output's start", Error([0x00, 0x00]));
        Assert.AreEqual("adc: match at source offset 3 reaches 3 bytes back from output offset 2, before the output's start", Error([0x81, 1, 2, 0x00, 0x02]));
        Assert.AreEqual("adc: match at source offset 2 reaches 257 bytes back from output offset 1, before the output's start", Error([0x80, 1, 0x40, 0x01, 0x00]));
        Assert.AreEqual("adc: literal run of 4 at source offset 0 passes the source's end (2 bytes remain)", Error([0x83, 1, 2]));
        Assert.AreEqual("adc: match opcode at source offset 2 needs 2 bytes, 1 remain", Error([0x80, 1, 0x04]));
        Assert.AreEqual("adc: match opcode at source offset 2 needs 3 bytes, 2 remain", Error([0x80, 1, 0x44, 0x00]));
    }

    [TestMethod]
    public void OutputBeyondTheDestination_IsAnError()
    {
        Assert.AreEqual("adc: 3 bytes at source offset 0 overflow the destination's 2 bytes at output offset 0", Error([0x82, 1, 2, 3], 2));
        Assert.AreEqual("adc: 18 bytes at source offset 2 overflow the destination's 18 bytes at output offset 1", Error([0x80, 7, 0x3C, 0x00], 18));
        CollectionAssert.AreEqual(Enumerable.Repeat((byte)7, 19).ToArray(), Decode([0x80, 7, 0x3C, 0x00], 19));
    }

    [TestMethod]
    [RequiresSharedImages]
    public void RealChunks_DecodeToTheRawImagesBytes()
    {
        foreach (var (chunk, expected) in DmgChunks.WithRawTwins("compression-adc.dmg", DmgChunks.Adc))
        {
            Assert.AreEqual(chunk.SectorCount * 512, expected.Length);
            CollectionAssert.AreEqual(expected, Decode(chunk.Data, expected.Length), $"chunk at sector {chunk.FirstSector}");
            Assert.ThrowsExactly<InvalidDataException>(() => AdcDecoder.Decode(chunk.Data, new byte[expected.Length - 1]));
        }
    }

    [TestMethod]
    [RequiresSharedImages]
    public void RealChunks_TruncatedAnywhere_FailOrDecodeAPrefix()
    {
        // ADC has no end marker: a cut between opcodes is a shorter, still correct, output; a cut inside one is an error.
        foreach (var (chunk, expected) in DmgChunks.WithRawTwins("compression-adc.dmg", DmgChunks.Adc))
        {
            int prefixes = 0, errors = 0;
            var output = new byte[expected.Length];
            for (int length = 0; length < chunk.Data.Length; length++)
            {
                try
                {
                    int n = AdcDecoder.Decode(chunk.Data.AsSpan(0, length), output);
                    Assert.IsLessThan(expected.Length, n);
                    Assert.IsTrue(output.AsSpan(0, n).SequenceEqual(expected.AsSpan(0, n)), $"cut at {length}");
                    prefixes++;
                }
                catch (InvalidDataException e)
                {
                    StringAssert.StartsWith(e.Message, "adc: ");
                    errors++;
                }
            }
            Assert.IsGreaterThan(0, prefixes);
            Assert.IsGreaterThan(0, errors);
        }
    }

    [TestMethod]
    [RequiresSharedImages]
    public void RealChunks_EveryBitFlip_DecodesOrFailsCleanly()
    {
        foreach (var (chunk, expected) in DmgChunks.WithRawTwins("compression-adc.dmg", DmgChunks.Adc))
        {
            var output = new byte[expected.Length];
            // The opcodes are all alike, so each chunk's first 600 bytes stand for the rest (keeps the test quick).
            for (int bit = 0; bit < Math.Min(chunk.Data.Length, 600) * 8; bit++)
            {
                byte[] data = (byte[])chunk.Data.Clone();
                data[bit / 8] ^= (byte)(1 << (bit % 8));
                try
                {
                    Assert.IsLessThanOrEqualTo(output.Length, AdcDecoder.Decode(data, output));
                }
                catch (InvalidDataException e)
                {
                    StringAssert.StartsWith(e.Message, "adc: ");
                }
            }
        }
    }
}
