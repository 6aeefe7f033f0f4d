using System.Buffers.Binary;
using System.Diagnostics;
using ImageBuild.Engine.Formats.Vhdx.Log;

namespace ImageBuild.Engine.Tests.Vhdx.Log;

/// <summary>The reader on logs built by the writer and then damaged: what counts as no entry, and what is corrupt.</summary>
[TestClass]
public sealed class VhdxLogReaderTests
{
    private static readonly byte[] Data = VhdxLogWriterOracleTests.Pattern(8192, 42);

    /// <summary>One entry at log offset 0 (header+descriptor sector, two data sectors) updating 8 KiB at 2 MiB.</summary>
    private static VhdxLogScratch OneEntry(ulong sequence = 1)
    {
        var s = new VhdxLogScratch();
        using var f = s.Open();
        s.Writer(f, sequence).Write([new VhdxLogWrite(2 << 20, Data.Length, Data)], f.Length, f.Length);
        return s;
    }

    [TestMethod]
    public void AnEntryWrittenByTheWriterReadsBackAsOneUpdate()
    {
        using var s = OneEntry(sequence: 77);
        var replay = s.Read();
        Assert.AreEqual(1, replay.EntryCount);
        Assert.AreEqual(77ul, replay.SequenceNumber);
        Assert.AreEqual(1, replay.Writes.Count, "the two contiguous sectors come back as one update");
        Assert.AreEqual(2L << 20, replay.Writes[0].FileOffset);
        Assert.IsTrue(replay.Writes[0].Data.Span.SequenceEqual(Data));
        Assert.AreEqual(VhdxLogScratch.FileLength, replay.FlushedFileOffset);
        Assert.AreEqual(0, replay.MinimumLength);
    }

    [TestMethod]
    public void AZeroLogGuidMeansAnEmptyLog()
    {
        using var s = OneEntry();
        Assert.IsFalse(s.Read(Guid.Empty).NeedsReplay);
    }

    [TestMethod]
    public void EntriesOfAnotherLogGuidAreStale()
    {
        using var s = OneEntry();
        Assert.IsFalse(s.Read(Guid.NewGuid()).NeedsReplay);
    }

    [TestMethod]
    public void AnEntryWhoseChecksumFailsIsNoEntry()
    {
        using var s = OneEntry();
        s.Edit(4096 + 100, 1, b => b[0] ^= 0x55); // a data byte, checksum left as it was
        Assert.IsFalse(s.Read().NeedsReplay);
    }

    [TestMethod]
    [DataRow(8, 4095u)]        // EntryLength not in 4 KiB sectors
    [DataRow(8, 0u)]           // EntryLength zero
    [DataRow(8, 2u << 20)]     // EntryLength longer than the log
    [DataRow(16, 0u)]          // SequenceNumber zero (low half; the high half is zero)
    [DataRow(24, 0xFFFFFFFFu)] // DescriptorCount absurd: its sectors exceed the entry
    public void AHeaderNoWriterMakesIsNoEntry(int field, uint value)
    {
        using var s = OneEntry();
        // the checksum is made right over the entry's three sectors: only the header check refuses it
        s.Edit(0, 64, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(field), value), entryToFix: 0, checksumLength: 3 * 4096);
        Assert.IsFalse(s.Read().NeedsReplay);
    }

    [TestMethod]
    [DataRow(64 + 24, 2ul, "sequence number 2")]                 // descriptor's sequence number
    [DataRow(64 + 16, (2ul << 20) + 512, "not in 4 KiB sectors")] // descriptor's file offset
    [DataRow(64 + 16, 1ul << 50, "past any VHDX file")]
    [DataRow(64 + 16, 4ul << 20, "past the entry's LastFileOffset")] // the 4 MiB file's end, its LastFileOffset
    public void ADescriptorNoWriterMakesIsCorrupt(int field, ulong value, string message)
    {
        using var s = OneEntry();
        s.Edit(0, 4096, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(field), value), entryToFix: 0);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => s.Read());
        StringAssert.Contains(e.Message, s.Path);
        StringAssert.Contains(e.Message, "log offset 0");
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void AnUnknownDescriptorSignatureIsCorrupt()
    {
        using var s = OneEntry();
        s.Edit(0, 4096, b => "junk"u8.CopyTo(b.AsSpan(64)), entryToFix: 0);
        StringAssert.Contains(Assert.ThrowsExactly<ImageCorruptException>(() => s.Read()).Message, "unknown signature");
    }

    [TestMethod]
    public void ADataSectorWithAnotherSequenceNumberIsCorrupt()
    {
        using var s = OneEntry();
        s.Edit(2 * 4096, 4096, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4092), 9), entryToFix: 0);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => s.Read());
        StringAssert.Contains(e.Message, "log offset 8192");
        StringAssert.Contains(e.Message, "sequence number 9");
    }

    [TestMethod]
    public void ADataSectorWithoutItsSignatureIsCorrupt()
    {
        using var s = OneEntry();
        s.Edit(4096, 4096, b => b[0] = 0, entryToFix: 0);
        StringAssert.Contains(Assert.ThrowsExactly<ImageCorruptException>(() => s.Read()).Message, "\"data\" signature");
    }

    [TestMethod]
    public void MoreDataDescriptorsThanDataSectorsIsCorrupt()
    {
        using var s = OneEntry();
        s.Edit(0, 64, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 2 * 4096), entryToFix: 0); // entry loses a data sector
        StringAssert.Contains(Assert.ThrowsExactly<ImageCorruptException>(() => s.Read()).Message, "2 data descriptors but room for 1");
    }

    [TestMethod]
    public void AFlushedFileOffsetBeyondTheFileMeansATruncatedFile()
    {
        using var s = OneEntry();
        using (var f = File.Open(s.Path, FileMode.Open))
            f.SetLength(3 << 20);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => s.Read());
        StringAssert.Contains(e.Message, "truncated");
        StringAssert.Contains(e.Message, s.Path);
    }

    [TestMethod]
    [DataRow(0L, 1L << 20)]            // over the file's first MiB
    [DataRow(1L << 20, 4096L)]         // length not a MiB multiple
    [DataRow(1L << 20, 0L)]
    [DataRow((1L << 20) + 4096, 1L << 20)]
    [DataRow(1L << 20, 1L << 33)]      // more than LogLength's 32 bits allow
    [DataRow(1L << 62, 1L << 20)]      // past any file
    public void ARegionNoHeaderMayNameIsRefused(long offset, long length)
    {
        using var s = OneEntry();
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => s.Read(region: new VhdxLogRegion(offset, length)));
        StringAssert.Contains(e.Message, "VHDX log region");
    }

    [TestMethod]
    public void ALogRegionPastTheEndOfTheFileReadsAsEmpty()
    {
        using var s = OneEntry();
        Assert.IsFalse(s.Read(region: new VhdxLogRegion(64L << 20, 16L << 20)).NeedsReplay);
        // the longest log a header can name, on a 4 MiB file: scanned in bounded memory and time, and its entry found
        var clock = Stopwatch.StartNew();
        Assert.AreEqual(1, s.Read(region: new VhdxLogRegion(1L << 20, VhdxLogLayout.MaxLogLength)).EntryCount);
        Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(20), $"{clock.Elapsed}");
    }

    [TestMethod]
    public void AnEntryAsLongAsTheWholeLogEndsTheScan()
    {
        // qemu's scan never ends on such a log (the entry brings it back to where it started)
        using var s = new VhdxLogScratch();
        using (var f = s.Open())
        {
            var w = s.Writer(f);
            // 2 descriptor sectors and 253 data sectors: the most a 256-sector log takes
            w.Write([new VhdxLogWrite(2 << 20, 253 * 4096, VhdxLogWriterOracleTests.Pattern(253 * 4096, 3))], f.Length, f.Length);
        }
        s.Edit(0, 64, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 256 * 4096), entryToFix: 0);
        var clock = Stopwatch.StartNew();
        var replay = s.Read();
        Assert.AreEqual(1, replay.EntryCount);
        Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [TestMethod]
    public void TheSequenceWithTheHighestHeadWinsAndReplaysFromItsTail()
    {
        using var s = new VhdxLogScratch();
        using (var f = s.Open())
        {
            var w = s.Writer(f, firstSequence: 10);
            byte[] a = VhdxLogWriterOracleTests.Pattern(4096, 1), b = VhdxLogWriterOracleTests.Pattern(4096, 2), c = VhdxLogWriterOracleTests.Pattern(4096, 3);
            w.Write([new VhdxLogWrite(2 << 20, 4096, a)], f.Length, f.Length);       // seq 10 at 0
            w.Write([new VhdxLogWrite(2 << 20, 4096, b)], f.Length, f.Length);       // seq 11 at 8 KiB, tail itself
            w.Append([new VhdxLogWrite((2 << 20) + 4096, 4096, c)], f.Length, f.Length); // seq 12 at 16 KiB, tail 8 KiB
        }
        var replay = s.Read();
        Assert.AreEqual(2, replay.EntryCount, "entry 10 was applied: the head's tail names entry 11");
        Assert.AreEqual(12ul, replay.SequenceNumber);
        Assert.AreEqual(1, replay.Writes.Count, "b and c update contiguous sectors: merged");
        Assert.AreEqual(8192, replay.Writes[0].Length);
        Assert.IsTrue(replay.Writes[0].Data.Span[..4096].SequenceEqual(VhdxLogWriterOracleTests.Pattern(4096, 2)), "entry 11's b, not entry 10's a");

        // a stale older sequence elsewhere in the log loses to it
        s.Edit(0, 4096, b => { BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), 3); BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(64 + 24), 3); }, entryToFix: 0);
        Assert.AreEqual(12ul, s.Read().SequenceNumber);
        Assert.AreEqual(2, s.Read().EntryCount);
    }

    [TestMethod]
    public void ATailNamingNoEntryOfTheRunReplaysTheWholeRunAsQemu()
    {
        using var s = new VhdxLogScratch();
        using (var f = s.Open())
        {
            var w = s.Writer(f);
            w.Write([new VhdxLogWrite(2 << 20, 4096, VhdxLogWriterOracleTests.Pattern(4096, 1))], f.Length, f.Length);
            w.Append([new VhdxLogWrite(2 << 20, 4096, VhdxLogWriterOracleTests.Pattern(4096, 2))], f.Length, f.Length);
        }
        s.Edit(8192, 64, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), 123 * 4096), entryToFix: 8192);
        Assert.AreEqual(2, s.Read().EntryCount);
    }

    [TestMethod]
    public void ZeroDescriptorsReplayAsZeroUpdatesAndExtendTheFile()
    {
        using var s = new VhdxLogScratch();
        using (var f = s.Open())
        {
            f.Write(2 << 20, VhdxLogWriterOracleTests.Pattern(8192, 5));
            var replay = s.Writer(f).Write([new VhdxLogWrite(2 << 20, 8192, ReadOnlyMemory<byte>.Empty),
                new VhdxLogWrite((4 << 20) - 4096, 12288, ReadOnlyMemory<byte>.Empty)], f.Length, (5 << 20) + 1);
            Assert.AreEqual(6L << 20, replay.MinimumLength, "LastFileOffset rounded up to a MiB");
        }
        var read = s.Read();
        CollectionAssert.AreEqual(new[] { true, true }, read.Writes.Select(w => w.IsZero).ToArray());
        using (var f = s.Open())
        {
            var overlay = new VhdxLogOverlay(read);
            Assert.AreEqual(6L << 20, overlay.Length(f));
            byte[] back = new byte[8192];
            overlay.Read(f, 2 << 20, back);
            Assert.IsTrue(back.All(b => b == 0));
            VhdxLogApplier.Apply(f, read);
            Assert.AreEqual(6L << 20, f.Length);
            f.Read(2 << 20, back);
            Assert.IsTrue(back.All(b => b == 0));
        }
    }

    [TestMethod]
    public void AMiBAlignedLastFileOffsetPastTheFileExtendsItAsTheSpecSays()
    {
        // VHDX 1.0 §2.3.3 extends the file to LastFileOffset; qemu 7.2 only extends when that offset is not a MiB
        // multiple (checked: an entry with LastFileOffset 9 MiB on an 8 MiB file leaves it at 8 MiB)
        using var s = new VhdxLogScratch();
        using (var f = s.Open())
            s.Writer(f).Write([], f.Length, 6L << 20);
        var replay = s.Read();
        Assert.AreEqual(6L << 20, replay.MinimumLength);
        using (var f = s.Open())
        {
            VhdxLogApplier.Apply(f, replay);
            Assert.AreEqual(6L << 20, f.Length);
        }
    }

    [TestMethod]
    public void AnEntryOfDescriptorsOnlyStillNeedsReplay()
    {
        using var s = new VhdxLogScratch();
        using (var f = s.Open())
            s.Writer(f).Write([], f.Length, f.Length);
        var replay = s.Read();
        Assert.IsTrue(replay.NeedsReplay);
        Assert.AreEqual(0, replay.Writes.Count);
    }
}
