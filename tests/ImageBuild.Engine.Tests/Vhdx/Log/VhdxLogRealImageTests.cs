using ImageBuild.Engine.Formats.Vhdx.Log;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vhdx.Log;

/// <summary>
/// Real images with a pending log (Hyper-V's via DiscUtils, and qemu's iotest image): qemu-img replays one copy
/// (`check -r all`), our reader and applier another; the files must be the same apart from the two headers qemu
/// rewrites (it zeroes LogGuid, bumps SequenceNumber and FileWriteGuid — the driver's job, not the log's).
/// </summary>
[TestClass]
public sealed class VhdxLogRealImageTests
{
    [TestMethod, RequiresQemu]
    [DataRow("discutils/vhdx-log-replay.vhdx", 2, 3145728L)]
    [DataRow("qemu-sample_images/iotest-dirtylog-10G-4M.vhdx", 1, 2097152L)]
    public void ReplayLeavesTheFileAsQemuReplayLeavesIt(string image, int entries, long updatedSector)
    {
        using var tmp = new TempDir();
        string original = VhdxLogTestImage.Materialize(image, tmp.Path, "original.vhdx");
        string byQemu = Path.Combine(tmp.Path, "qemu.vhdx"), byUs = Path.Combine(tmp.Path, "ours.vhdx");
        File.Copy(original, byQemu);
        File.Copy(original, byUs);
        QemuOracle.ImgOk("check", "-r", "all", byQemu);

        var header = VhdxLogTestImage.Read(byUs);
        VhdxLogReplay replay;
        using (var file = HostFile.Open(byUs, writable: true))
        {
            replay = VhdxLogReader.Read(file, byUs, header.Region, header.LogGuid);
            VhdxLogApplier.Apply(file, replay);
        }
        Assert.AreEqual(entries, replay.EntryCount);

        // what replay changed, and what qemu changed besides replay: only its two headers
        CollectionAssert.AreEqual(new[] { updatedSector }, VhdxLogTestImage.DifferingSectors(original, byUs));
        CollectionAssert.AreEqual(new[] { VhdxLogTestImage.Header1, VhdxLogTestImage.Header2 },
            VhdxLogTestImage.DifferingSectors(byQemu, byUs));
        Assert.AreEqual(new FileInfo(byQemu).Length, new FileInfo(byUs).Length);
        Assert.AreEqual(Guid.Empty, VhdxLogTestImage.Read(byQemu).LogGuid, "qemu marks the log empty");

        // the overlay reads the original file as the applied copy reads
        using var source = HostFile.Open(original, writable: false);
        var overlay = new VhdxLogOverlay(replay);
        Assert.AreEqual(new FileInfo(byUs).Length, overlay.Length(source));
        byte[] expected = File.ReadAllBytes(byUs);
        byte[] actual = new byte[expected.Length];
        for (int at = 0; at < actual.Length; at += 1 << 20)
            overlay.Read(source, at, actual.AsSpan(at, Math.Min(1 << 20, actual.Length - at)));
        Assert.IsTrue(expected.AsSpan().SequenceEqual(actual), "overlay differs from the applied file");
        // and an unaligned read across the update
        byte[] piece = new byte[5000];
        overlay.Read(source, updatedSector - 1234, piece);
        Assert.IsTrue(expected.AsSpan((int)updatedSector - 1234, 5000).SequenceEqual(piece));
    }
}
