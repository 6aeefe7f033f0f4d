using System.Buffers.Binary;
using ImageBuild.Engine.Formats.Vhdx.Log;

namespace ImageBuild.Engine.Tests.Vhdx.Log;

/// <summary>The writer as the driver uses it: one entry per metadata update, each applied before the next.</summary>
[TestClass]
public sealed class VhdxLogWriterTests
{
    [TestMethod]
    public void EntriesAppliedOneByOneGoRoundTheLogForever()
    {
        using var s = new VhdxLogScratch();
        using var f = s.Open();
        var w = s.Writer(f);
        byte[] sector = new byte[4096];
        for (int i = 0; i < 1000; i++) // 2 sectors each: round the 256-sector log almost 8 times
        {
            BinaryPrimitives.WriteInt32LittleEndian(sector, i);
            var replay = w.Write([new VhdxLogWrite((2 << 20) + 8, 8, sector.AsMemory(0, 8))], f.Length, f.Length);
            VhdxLogApplier.Apply(f, replay);
        }
        Assert.AreEqual(1001ul, w.NextSequence);
        Assert.AreEqual(2000 % 256 * 4096L, w.Position);
        // the last entry is what the log holds (the header's LogGuid would name it until reset)
        var read = s.Read();
        Assert.AreEqual(1, read.EntryCount);
        Assert.AreEqual(1000ul, read.SequenceNumber);
        byte[] back = new byte[4096];
        f.Read(2 << 20, back);
        Assert.AreEqual(999, BinaryPrimitives.ReadInt32LittleEndian(back.AsSpan(8)));
    }

    [TestMethod]
    public void AHandBuiltReplayIsAppliedAndExtendsTheFileToItsLastFileOffset()
    {
        using var s = new VhdxLogScratch();
        using var f = s.Open();
        byte[] data = VhdxLogWriterOracleTests.Pattern(4096, 8);
        VhdxLogApplier.Apply(f, new VhdxLogReplay([new VhdxLogWrite(2 << 20, 4096, data)], f.Length, f.Length + 10));
        Assert.AreEqual(5L << 20, f.Length, "LastFileOffset past the end, rounded up to a MiB");
        byte[] back = new byte[4096];
        f.Read(2 << 20, back);
        CollectionAssert.AreEqual(data, back);
    }

    [TestMethod]
    public void AnEntryTooBigForTheLogIsRefusedBeforeAnythingIsWritten()
    {
        using var s = new VhdxLogScratch();
        using var f = s.Open();
        byte[] before = File.ReadAllBytes(s.Path);
        var e = Assert.ThrowsExactly<ImageException>(() =>
            s.Writer(f).Write([new VhdxLogWrite(2 << 20, 1 << 20, new byte[1 << 20])], f.Length, f.Length));
        StringAssert.Contains(e.Message, "does not fit");
        CollectionAssert.AreEqual(before, File.ReadAllBytes(s.Path));
    }

    [TestMethod]
    public void UpdatesPastLastFileOffsetOrUnalignedZerosAreTheCallersMistake()
    {
        using var s = new VhdxLogScratch();
        using var f = s.Open();
        var w = s.Writer(f);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            w.Write([new VhdxLogWrite(8 << 20, 4096, new byte[4096])], f.Length, f.Length));
        Assert.ThrowsExactly<ArgumentException>(() =>
            w.Write([new VhdxLogWrite(2 << 20, 100, ReadOnlyMemory<byte>.Empty)], f.Length, f.Length));
        Assert.AreEqual(1ul, w.NextSequence, "nothing was written");
    }

    [TestMethod]
    public void UpdatesOfOneEntryToOneSectorMergeInOrder()
    {
        // two partial updates and a zero run over the same sector: each partial one starts from what the entry
        // made of the sector so far, so the last one does not bring back the file's old bytes
        using var s = new VhdxLogScratch();
        using var f = s.Open();
        f.Write(2 << 20, VhdxLogWriterOracleTests.Pattern(4096, 1));
        var replay = s.Writer(f).Write(
        [
            new VhdxLogWrite((2 << 20) + 10, 4, new byte[] { 1, 2, 3, 4 }),
            new VhdxLogWrite(2 << 20, 4096, ReadOnlyMemory<byte>.Empty),
            new VhdxLogWrite((2 << 20) + 20, 2, new byte[] { 9, 9 }),
        ], f.Length, f.Length);
        VhdxLogApplier.Apply(f, s.Read());
        byte[] back = new byte[4096];
        f.Read(2 << 20, back);
        byte[] expected = new byte[4096];
        expected[20] = expected[21] = 9;
        CollectionAssert.AreEqual(expected, back);
        Assert.AreEqual(3, replay.Writes.Count);
    }
}
