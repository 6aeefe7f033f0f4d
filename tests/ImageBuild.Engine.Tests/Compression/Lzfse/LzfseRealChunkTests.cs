using ImageBuild.Engine.Compression.Lzfse;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Compression.Lzfse;

/// <summary>
/// The LZFSE chunks macOS wrote into ../shared/images/node-udif/compression-lzfse.dmg, checked against the same
/// sectors of compression-raw.dmg (the same disk stored uncompressed), and used as seeds for hostile mutations.
/// </summary>
[TestClass]
[RequiresSharedImages]
public sealed class LzfseRealChunkTests
{
    private static List<(DmgChunk Chunk, byte[] Expected)> Chunks() => DmgChunks.WithRawTwins("compression-lzfse.dmg", DmgChunks.Lzfse);

    private static byte[] Decode(byte[] stream, int capacity)
    {
        var output = new byte[capacity];
        int n = LzfseDecoder.Decode(stream, output);
        return output[..n];
    }

    private static byte[] FirstBvx2Chunk() => Chunks().Select(c => c.Chunk.Data).First(d => d.AsSpan(0, 4).SequenceEqual("bvx2"u8));

    [TestMethod]
    public void RealChunks_DecodeToTheRawImagesBytes()
    {
        foreach (var (chunk, expected) in Chunks())
        {
            Assert.AreEqual(chunk.SectorCount * 512, expected.Length);
            CollectionAssert.AreEqual(expected, Decode(chunk.Data, expected.Length), $"chunk at sector {chunk.FirstSector}");
        }
    }

    [TestMethod]
    public void RealChunks_AreOneLzvnAndTwoBvx2Blocks()
    {
        var kinds = Chunks().Select(c => string.Join(",", LzfseHeaders.Blocks(c.Chunk.Data).Select(b => b.Kind))).ToList();
        CollectionAssert.AreEqual(new[] { "bvxn,bvx$", "bvx2,bvx$", "bvx2,bvx$" }, kinds);
        foreach (var (chunk, _) in Chunks())
            Assert.AreEqual(chunk.Data.Length, LzfseHeaders.Blocks(chunk.Data).Sum(b => b.Size), "blocks tile the chunk exactly");
    }

    [TestMethod]
    public void RealBvx2Headers_ReencodeToTheSameBytes()
    {
        foreach (var (chunk, _) in Chunks().Where(c => c.Chunk.Data.AsSpan(0, 4).SequenceEqual("bvx2"u8)))
        {
            var header = LzfseHeaders.Read(chunk.Data);
            CollectionAssert.AreEqual(chunk.Data[..header.HeaderSize], LzfseHeaders.V2(header));
            Assert.AreEqual(1024, header.LiteralFrequencies.ToArray().Sum(f => f), "literal frequencies are normalised to the state count");
        }
    }

    [TestMethod]
    public void RealBvx2Blocks_RewrittenAsBvx1_DecodeTheSame()
    {
        foreach (var (chunk, expected) in Chunks().Where(c => c.Chunk.Data.AsSpan(0, 4).SequenceEqual("bvx2"u8)))
        {
            var header = LzfseHeaders.Read(chunk.Data);
            byte[] v1 = [.. LzfseHeaders.V1(header), .. chunk.Data[header.HeaderSize..]];
            CollectionAssert.AreEqual(expected, Decode(v1, expected.Length));
        }
    }

    [TestMethod]
    public void AllRealBlocksInOneStream_DecodeToTheConcatenation()
    {
        var chunks = Chunks();
        byte[] between = LzfseStreams.Bytes(333, 7);
        var blocks = new List<byte[]>();
        var expected = new List<byte>();
        foreach (var (chunk, raw) in chunks)
        {
            blocks.Add(chunk.Data[..^4]);
            blocks.Add(LzfseStreams.RawBlock(between));
            expected.AddRange(raw);
            expected.AddRange(between);
        }
        byte[] stream = LzfseStreams.Of([.. blocks]);
        CollectionAssert.AreEqual(expected.ToArray(), Decode(stream, expected.Count));
        Assert.ThrowsExactly<InvalidDataException>(() => LzfseDecoder.Decode(stream, new byte[expected.Count - 1]));
    }

    [TestMethod]
    public void DestinationOneByteShort_IsAnError()
    {
        foreach (var (chunk, expected) in Chunks())
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => LzfseDecoder.Decode(chunk.Data, new byte[expected.Length - 1]));
            StringAssert.Contains(e.Message, $"{expected.Length} raw bytes at output offset 0 overflow the destination's {expected.Length - 1} bytes");
        }
    }

    [TestMethod]
    public void TruncationAtEveryByte_IsAnError()
    {
        foreach (var (chunk, expected) in Chunks())
            for (int length = 0; length < chunk.Data.Length; length++)
            {
                byte[] cut = chunk.Data[..length];
                Assert.ThrowsExactly<InvalidDataException>(() => LzfseDecoder.Decode(cut, new byte[expected.Length]), $"cut at {length}");
            }
    }

    [TestMethod]
    public void EveryBitFlip_DecodesOrFailsCleanly()
    {
        int failed = 0, decoded = 0;
        foreach (var (chunk, expected) in Chunks())
        {
            var output = new byte[expected.Length];
            for (int bit = 0; bit < chunk.Data.Length * 8; bit++)
            {
                byte[] data = (byte[])chunk.Data.Clone();
                data[bit / 8] ^= (byte)(1 << (bit % 8));
                try
                {
                    int n = LzfseDecoder.Decode(data, output);
                    Assert.IsLessThanOrEqualTo(output.Length, n);
                    decoded++;
                }
                catch (InvalidDataException e)
                {
                    Assert.DoesNotContain("\n", e.Message);
                    StringAssert.StartsWith(e.Message, "lzfse: ");
                    failed++;
                }
            }
        }
        Assert.IsGreaterThan(0, failed);
    }

    [TestMethod]
    public void RandomCorruptions_DecodeOrFailCleanly()
    {
        // A fixed LCG: the same corruptions on every run.
        uint x = 1717;
        int Next(int bound)
        {
            x = x * 1664525 + 1013904223;
            return (int)((ulong)(x >> 8) * (uint)bound >> 24);
        }
        foreach (var (chunk, expected) in Chunks())
        {
            var output = new byte[expected.Length];
            for (int round = 0; round < 1500; round++)
            {
                byte[] data = (byte[])chunk.Data.Clone();
                int changes = 1 + Next(8);
                for (int i = 0; i < changes; i++)
                    data[Next(data.Length)] = (byte)Next(256);
                try
                {
                    LzfseDecoder.Decode(data, output);
                }
                catch (InvalidDataException e)
                {
                    StringAssert.StartsWith(e.Message, "lzfse: ");
                }
            }
        }
    }

    [TestMethod]
    public void MagicFlips_AreUnknownBlocks()
    {
        byte[] data = FirstBvx2Chunk();
        for (int bit = 0; bit < 32; bit++)
        {
            byte[] flipped = (byte[])data.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            var e = Assert.ThrowsExactly<InvalidDataException>(() => LzfseDecoder.Decode(flipped, new byte[1 << 16]));
            // No single flip turns 'bvx2' into another block kind's magic.
            Assert.AreEqual($"lzfse: at source offset 0: unknown block magic 0x{BitConverter.ToUInt32(flipped, 0):x8}", e.Message);
        }
    }
}
