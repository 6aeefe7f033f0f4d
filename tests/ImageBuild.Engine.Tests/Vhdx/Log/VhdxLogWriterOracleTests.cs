using System.Buffers.Binary;
using ImageBuild.Engine.Formats.Vhdx.Log;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vhdx.Log;

/// <summary>
/// Entries our writer puts in the log of a VHDX that qemu-img created are replayed by qemu (it replays when it opens
/// the file writable: `qemu-img check -r all`) to the same bytes as by our reader and applier. The updates go to
/// parts of the file qemu's checks ignore: the reserved area after the region tables (320 KiB – 1 MiB) and the
/// unused payload area (4 – 8 MiB of a 64 MiB image).
/// </summary>
[TestClass]
public sealed class VhdxLogWriterOracleTests
{
    private static readonly Guid Guid1 = new("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    private static readonly Guid Guid2 = new("11111111-2222-3333-4444-555555555555");

    [TestMethod, RequiresQemu]
    public void QemuReplaysAnEntryWithAlignedUnalignedAndZeroUpdatesAsWeDo()
    {
        using var tmp = new TempDir();
        string image = Create(tmp);
        // content for the unaligned updates to merge with, and for the zero update to clear
        using (var f = HostFile.Open(image, writable: true))
        {
            f.Write(520 * 1024, Pattern(4096, 7));
            f.Write(600 * 1024, Pattern(8192, 9));
            f.Write(700 * 1024, Pattern(4096, 11));
        }
        var header = VhdxLogTestImage.Read(image);
        VhdxLogTestImage.SetLogGuid(image, Guid1);
        byte[] aligned = Pattern(8192, 1), small = Pattern(100, 2), straddling = Pattern(200, 3), big = Pattern(3 * 4096 + 10, 4);
        VhdxLogReplay written;
        using (var f = HostFile.Open(image, writable: true))
        {
            var writer = new VhdxLogWriter(f, header.Region, Guid1, firstSequence: 0);
            written = writer.Write(
            [
                new VhdxLogWrite(400 * 1024, aligned.Length, aligned),
                new VhdxLogWrite(520 * 1024 + 100, small.Length, small),
                new VhdxLogWrite(600 * 1024 + 4000, straddling.Length, straddling),
                new VhdxLogWrite(700 * 1024, 4096, ReadOnlyMemory<byte>.Empty),
                new VhdxLogWrite(4 * 1024 * 1024 + 5, big.Length, big),
            ], f.Length, f.Length);
            Assert.AreEqual(2ul, writer.NextSequence);
        }
        Assert.AreEqual(1ul, written.SequenceNumber);
        Assert.AreEqual(2 + 1 + 2 + 1 + 4, written.Writes.Count, "4 KiB sectors: 2 aligned, 1 and 2 partial, a zero run, 4 for the big one");

        var (byQemu, byUs) = ReplayBothWays(tmp, image, expectedEntries: 1);
        byte[] result = File.ReadAllBytes(byUs);
        AssertBytes(result, 400 * 1024, aligned);
        AssertBytes(result, 520 * 1024 + 100, small);
        AssertBytes(result, 520 * 1024, Pattern(4096, 7).AsSpan(0, 100).ToArray()); // merged with what was there
        AssertBytes(result, 520 * 1024 + 200, Pattern(4096, 7).AsSpan(200).ToArray());
        AssertBytes(result, 600 * 1024 + 4000, straddling);
        AssertBytes(result, 600 * 1024 + 4200, Pattern(8192, 9).AsSpan(4200).ToArray());
        AssertBytes(result, 700 * 1024, new byte[4096]);
        AssertBytes(result, 4 * 1024 * 1024 + 5, big);
        Assert.AreEqual(new FileInfo(byQemu).Length, result.Length);
    }

    [TestMethod, RequiresQemu]
    public void QemuReplaysATwoEntrySequenceThatWrapsRoundTheLogAsWeDo()
    {
        using var tmp = new TempDir();
        string image = Create(tmp);
        var header = VhdxLogTestImage.Read(image);
        byte[] first = Pattern(100 * 4096, 21), second = Pattern(100 * 4096, 22), third = Pattern(100 * 4096, 23);
        using (var f = HostFile.Open(image, writable: true))
        {
            // entry 1 is written, applied and the log marked empty, as the driver does after every entry
            VhdxLogTestImage.SetLogGuid(image, Guid1);
            var writer = new VhdxLogWriter(f, header.Region, Guid1, firstSequence: 5);
            VhdxLogApplier.Apply(f, writer.Write([new VhdxLogWrite(4 * 1024 * 1024, first.Length, first)], f.Length, f.Length));
            VhdxLogTestImage.SetLogGuid(image, Guid.Empty);
            Assert.AreEqual(101 * 4096L, writer.Position);

            // entries 2 and 3 stay pending: 3 starts at sector 202 of 256 and wraps to the log's start
            VhdxLogTestImage.SetLogGuid(image, Guid2);
            writer.LogGuid = Guid2;
            writer.Write([new VhdxLogWrite(5 * 1024 * 1024, second.Length, second)], f.Length, f.Length);
            writer.Append([new VhdxLogWrite(5 * 1024 * 1024 + 50 * 4096, third.Length, third)], f.Length, f.Length);
            Assert.AreEqual(47 * 4096L, writer.Position, "wrapped");
            Assert.AreEqual(8ul, writer.NextSequence);
            // a fourth entry would leave no sector free
            var e = Assert.ThrowsExactly<ImageException>(() =>
                writer.Append([new VhdxLogWrite(6 * 1024 * 1024, third.Length, third)], f.Length, f.Length));
            StringAssert.Contains(e.Message, "does not fit");
        }
        var (_, byUs) = ReplayBothWays(tmp, image, expectedEntries: 2);
        byte[] result = File.ReadAllBytes(byUs);
        AssertBytes(result, 4 * 1024 * 1024, first);
        AssertBytes(result, 5 * 1024 * 1024, second.AsSpan(0, 50 * 4096).ToArray());
        AssertBytes(result, 5 * 1024 * 1024 + 50 * 4096, third);
    }

    [TestMethod, RequiresQemu]
    public void AnEntryAskingForALongerFileIsReplayedToTheSameLengthAsQemu()
    {
        // LastFileOffset not a MiB multiple: qemu rounds it up to the next MiB and extends the file
        using var tmp = new TempDir();
        string image = Create(tmp);
        var header = VhdxLogTestImage.Read(image);
        VhdxLogTestImage.SetLogGuid(image, Guid1);
        long length;
        using (var f = HostFile.Open(image, writable: true))
        {
            length = f.Length;
            byte[] data = Pattern(4096, 5);
            var replay = new VhdxLogWriter(f, header.Region, Guid1, 1).Write([new VhdxLogWrite(length + 4096, 4096, data)], length, length + 8192);
            Assert.AreEqual(length + (1 << 20), replay.MinimumLength);
        }
        var (byQemu, byUs) = ReplayBothWays(tmp, image, expectedEntries: 1);
        Assert.AreEqual(length + (1 << 20), new FileInfo(byQemu).Length);
        Assert.AreEqual(length + (1 << 20), new FileInfo(byUs).Length);
    }

    [TestMethod, RequiresQemu]
    public void OurEntriesAreByteForByteTheEntriesQemuWritesForItsBatUpdates()
    {
        // qemu-io allocates two blocks: two BAT updates, each one log entry (its own fresh LogGuid, applied at once,
        // the next entry after it); the log keeps them after replay. Our writer, given the same GUIDs, file sizes
        // and BAT sectors, must write the same bytes at the same log offsets.
        using var tmp = new TempDir();
        string image = Path.Combine(tmp.Path, "image.vhdx");
        QemuOracle.ImgOk("create", "-q", "-f", "vhdx", "-o", "block_size=1M", image, "16M");
        QemuOracle.IoOk("-c", "write -P 0x33 0 4k", "-c", "write -P 0x44 3M 4k", image);
        var header = VhdxLogTestImage.Read(image);
        byte[] qemuLog = new byte[header.Region.Length];
        using (var s = File.OpenRead(image))
        {
            s.Position = header.Region.Offset;
            s.ReadExactly(qemuLog);
        }

        string ours = Path.Combine(tmp.Path, "ours.vhdx");
        File.Copy(image, ours);
        using (var f = HostFile.Open(ours, writable: true))
        {
            f.ZeroRange(header.Region.Offset, header.Region.Length);
            var writer = new VhdxLogWriter(f, header.Region, Guid.Empty, firstSequence: 0);
            foreach (long at in new[] { 0L, 8192L })
            {
                // what qemu's entry says: its GUID, sizes, and the BAT sector it carries
                var entry = qemuLog.AsSpan((int)at);
                writer.LogGuid = new Guid(entry.Slice(32, 16));
                var descriptor = VhdxLogDataDescriptor.Parse(entry.Slice(64, 32));
                byte[] sector = new byte[4096];
                VhdxLogDataSector.Restore(descriptor, entry.Slice(4096, 4096), sector);
                long flushed = BinaryPrimitives.ReadInt64LittleEndian(entry[48..]), last = BinaryPrimitives.ReadInt64LittleEndian(entry[56..]);
                writer.Write([new VhdxLogWrite((long)descriptor.FileOffset, 4096, sector)], flushed, last);
            }
        }
        byte[] ourLog = new byte[header.Region.Length];
        using (var s = File.OpenRead(ours))
        {
            s.Position = header.Region.Offset;
            s.ReadExactly(ourLog);
        }
        Assert.AreEqual(0x65676F6Cu, BinaryPrimitives.ReadUInt32LittleEndian(qemuLog.AsSpan(8192)), "qemu wrote its second entry after the first");
        for (int at = 0; at < ourLog.Length; at += 4096)
            Assert.IsTrue(qemuLog.AsSpan(at, 4096).SequenceEqual(ourLog.AsSpan(at, 4096)), $"log sector at {at} differs from qemu's");
    }

    /// <summary>A 64 MiB dynamic VHDX made by qemu-img (1 MiB log at 1 MiB, 8 MiB file).</summary>
    private static string Create(TempDir tmp)
    {
        string image = Path.Combine(tmp.Path, "image.vhdx");
        QemuOracle.ImgOk("create", "-q", "-f", "vhdx", image, "64M");
        return image;
    }

    /// <summary>
    /// Copies the image with its pending log twice: qemu replays one, our reader and applier the other. Apart from
    /// the two headers qemu rewrites, the files must be equal.
    /// </summary>
    private static (string ByQemu, string ByUs) ReplayBothWays(TempDir tmp, string image, int expectedEntries)
    {
        string byQemu = Path.Combine(tmp.Path, "qemu.vhdx"), byUs = Path.Combine(tmp.Path, "ours.vhdx");
        File.Copy(image, byQemu, true);
        File.Copy(image, byUs, true);
        QemuOracle.ImgOk("check", "-r", "all", byQemu);
        Assert.AreEqual(Guid.Empty, VhdxLogTestImage.Read(byQemu).LogGuid, "qemu replayed and emptied the log");
        var header = VhdxLogTestImage.Read(byUs);
        using (var f = HostFile.Open(byUs, writable: true))
        {
            var replay = VhdxLogReader.Read(f, byUs, header.Region, header.LogGuid);
            Assert.AreEqual(expectedEntries, replay.EntryCount);
            VhdxLogApplier.Apply(f, replay);
        }
        List<long> differing = VhdxLogTestImage.DifferingSectors(byQemu, byUs);
        differing.Remove(VhdxLogTestImage.Header1);
        differing.Remove(VhdxLogTestImage.Header2);
        Assert.AreEqual(0, differing.Count, "sectors that differ from qemu's replay: " + string.Join(", ", differing));
        Assert.AreEqual(new FileInfo(byQemu).Length, new FileInfo(byUs).Length);
        return (byQemu, byUs);
    }

    internal static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++)
            b[i] = (byte)(i * 31 + seed * 17 + (i >> 8));
        return b;
    }

    private static void AssertBytes(byte[] file, long offset, byte[] expected) =>
        Assert.IsTrue(file.AsSpan((int)offset, expected.Length).SequenceEqual(expected), $"bytes at {offset} differ");
}
