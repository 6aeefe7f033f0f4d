using System.Buffers.Binary;
using ImageBuild.Engine.Formats.Vhdx.Log;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vhdx.Log;

/// <summary>
/// Hyper-V images whose log was emptied (LogGuid zero) still hold the entries of earlier sessions, each session with
/// its own LogGuid. Naming one of those GUIDs in the header makes its entries pending again: a real log with stale
/// entries of other GUIDs around it, several entries per sequence and wrap-around. qemu-img and we must replay it
/// to the same bytes.
/// </summary>
[TestClass]
public sealed class VhdxLogStaleSequenceTests
{
    [TestMethod, RequiresQemu]
    [DataRow("discutils/btrfs.vhdx")]
    [DataRow("discutils/swap.vhdx")]
    [DataRow("discutils/xfs5.vhdx")]
    public void EverySessionOfAHyperVLogReplaysAsQemuReplaysIt(string image)
    {
        using var tmp = new TempDir();
        string original = VhdxLogTestImage.Materialize(image, tmp.Path, "original.vhdx");
        var header = VhdxLogTestImage.Read(original);
        List<Guid> sessions = LogGuidsIn(original, header.Region);
        Assert.IsTrue(sessions.Count > 0, "the image's log holds entries");
        foreach (Guid session in sessions)
        {
            string byQemu = Path.Combine(tmp.Path, "qemu.vhdx"), byUs = Path.Combine(tmp.Path, "ours.vhdx");
            File.Copy(original, byQemu, true);
            VhdxLogTestImage.SetLogGuid(byQemu, session);
            File.Copy(byQemu, byUs, true);
            QemuOracle.ImgOk("check", "-r", "all", byQemu);
            Assert.AreEqual(Guid.Empty, VhdxLogTestImage.Read(byQemu).LogGuid, $"qemu found session {session} valid and replayed it");
            using (var f = HostFile.Open(byUs, writable: true))
            {
                var replay = VhdxLogReader.Read(f, byUs, header.Region, session);
                Assert.IsTrue(replay.NeedsReplay, $"session {session}");
                Console.WriteLine($"{image} session {session}: {replay.EntryCount} entries, {replay.Writes.Count} updates");
                VhdxLogApplier.Apply(f, replay);
            }
            List<long> differing = VhdxLogTestImage.DifferingSectors(byQemu, byUs);
            differing.Remove(VhdxLogTestImage.Header1);
            differing.Remove(VhdxLogTestImage.Header2);
            Assert.AreEqual(0, differing.Count, $"session {session}: sectors that differ from qemu's replay: {string.Join(", ", differing)}");
            Assert.AreEqual(new FileInfo(byQemu).Length, new FileInfo(byUs).Length, $"session {session}");
        }
    }

    /// <summary>The LogGuids of the entry headers in the log, in order of first appearance.</summary>
    private static List<Guid> LogGuidsIn(string path, VhdxLogRegion region)
    {
        byte[] log = new byte[region.Length];
        using (var s = File.OpenRead(path))
        {
            s.Position = region.Offset;
            s.ReadExactly(log);
        }
        var guids = new List<Guid>();
        for (int at = 0; at < log.Length; at += 4096)
            if (BinaryPrimitives.ReadUInt32LittleEndian(log.AsSpan(at)) == 0x65676F6C)
            {
                var g = new Guid(log.AsSpan(at + 32, 16));
                if (!guids.Contains(g))
                    guids.Add(g);
            }
        return guids;
    }
}
