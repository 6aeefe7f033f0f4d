using System.Buffers.Binary;
using ImageBuild.Engine.Formats.Vhdx.Log;
using ImageBuild.Engine.Formats.Vhdx.Parent;
using ImageBuild.Engine.Tests.Vhdx.Parent;

namespace ImageBuild.Engine.Tests.Vhdx.Log;

/// <summary>
/// Seeded random damage to valid logs and locator items: whatever the bytes, the reader and the parser answer with
/// a replay or one <see cref="ImageCorruptException"/> — never another exception or a hang — and a replay that is
/// read stays within the file's sane bounds.
/// </summary>
[TestClass]
public sealed class VhdxLogMutationTests
{
    [TestMethod]
    public void DamagedLogsGiveAReplayOrOneCorruptionError()
    {
        var random = new Random(1234);
        using var s = new VhdxLogScratch();
        using (var f = s.Open())
        {
            var w = s.Writer(f, firstSequence: 3);
            w.Write([new VhdxLogWrite(2 << 20, 8192, VhdxLogWriterOracleTests.Pattern(8192, 1)),
                     new VhdxLogWrite(3 << 20, 3 * 4096, ReadOnlyMemory<byte>.Empty)], f.Length, f.Length);
            w.Append([new VhdxLogWrite((2 << 20) + 100, 300 * 5, VhdxLogWriterOracleTests.Pattern(1500, 2))], f.Length, f.Length);
        }
        byte[] pristine = File.ReadAllBytes(s.Path).AsSpan(1 << 20, 8 * 4096).ToArray();
        int replays = 0, corrupt = 0;
        for (int round = 0; round < 300; round++)
        {
            byte[] log = (byte[])pristine.Clone();
            int edits = random.Next(1, 4);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(3) switch // headers and descriptors, the starts of data sectors, anywhere
                {
                    0 => random.Next(2) * 3 * 4096 + random.Next(0, 160),
                    1 => random.Next(1, 8) * 4096 + random.Next(0, 16),
                    _ => random.Next(0, log.Length - 8),
                };
                if (random.Next(2) == 0)
                    log[at] = (byte)random.Next(256);
                else
                    BinaryPrimitives.WriteUInt64LittleEndian(log.AsSpan(at), (ulong)random.NextInt64());
            }
            if (random.Next(2) == 0) // make the damage pass the checksum of the first or second entry
            {
                int entry = random.Next(2) == 0 ? 0 : 3 * 4096;
                int length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(log.AsSpan(entry + 8)), (uint)(log.Length - entry));
                if (length >= 64)
                    Formats.Vhdx.VhdxChecksum.Update(log.AsSpan(entry, length), 4);
            }
            using (var f = File.Open(s.Path, FileMode.Open, FileAccess.Write))
            {
                f.Position = 1 << 20;
                f.Write(log);
            }
            try
            {
                var replay = s.Read();
                replays++;
                foreach (var w in replay.Writes)
                    Assert.IsTrue(w.FileOffset >= 0 && w.FileOffset + w.Length <= VhdxLogScratch.FileLength,
                        $"round {round}: update at {w.FileOffset} ({w.Length} bytes)");
            }
            catch (ImageCorruptException e)
            {
                corrupt++;
                StringAssert.Contains(e.Message, s.Path);
                Assert.IsFalse(e.Message.Contains('\n'));
            }
        }
        Assert.IsTrue(replays > 0 && corrupt > 0, $"both outcomes seen ({replays} replays, {corrupt} corrupt)");
    }

    [TestMethod]
    public void DamagedLocatorItemsParseOrGiveOneError()
    {
        var random = new Random(99);
        byte[] pristine = VhdxParentLocatorTests.Item(("parent_linkage", "{83EA2D12-0BDB-4CDE-9D2A-4B5D35A2B8A7}"),
            ("relative_path", "parent.vhdx"), ("absolute_win32_path", @"C:\parent.vhdx"));
        int parsed = 0, refused = 0;
        for (int round = 0; round < 2000; round++)
        {
            byte[] item = (byte[])pristine.Clone();
            for (int e = random.Next(1, 4); e > 0; e--)
                item[random.Next(item.Length)] = (byte)random.Next(256);
            if (random.Next(4) == 0)
                item = item.AsSpan(0, random.Next(item.Length)).ToArray();
            try
            {
                VhdxParentLocator.Parse(item, "f.vhdx");
                parsed++;
            }
            catch (ImageCorruptException e)
            {
                refused++;
                StringAssert.StartsWith(e.Message, "'f.vhdx': VHDX parent locator is invalid: ");
            }
        }
        Assert.IsTrue(parsed > 0 && refused > 0, $"both outcomes seen ({parsed} parsed, {refused} refused)");
    }
}
