using ImageBuild.Engine.Block;
using ImageBuild.Engine.Tests.FaultInjection;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow.QcowTestSupport;

namespace ImageBuild.Engine.Tests.Qcow;

/// <summary>
/// A crash before any change our writes make to the file leaves an image that qemu-img and we open and read alike,
/// where every sector reads as before or as after the writes, and that later writes extend without damage (an L2
/// table is never shared, a cluster never named before its data is there).
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class QcowCrashTests
{
    private const long Size = 5 << 20;

    /// <summary>Allocating writes over an L2 boundary, an overwrite in place, a partly overwritten compressed cluster, a compressed write.</summary>
    private static void Operation(ImageContext ctx, string image)
    {
        using var dev = Open(image, writable: true, ctx: ctx);
        dev.Write(60 << 10, Fill(100 << 10, 0xA1));
        dev.Write((2 << 20) - (8 << 10), Fill(16 << 10, 0xA2));
        dev.Write(1536, Fill(1024, 0xA3));
        dev.Write((4 << 20) + 512, Fill(512, 0xA4));
        var codec = dev.CreateCompressor(ImageBuild.Engine.Compression.DeflateLibrary.RuntimeZlibNg)!;
        var payload = new byte[4096];
        int n = codec.Compress(Fill(4096, 0xA5), payload);
        dev.WriteCompressedCluster(3 << 20, payload.AsSpan(0, n));
        dev.Flush();
    }

    private static byte[] Fill(int length, byte b) => Enumerable.Repeat(b, length).ToArray();

    private static byte[] OurView(string image)
    {
        using var dev = Open(image);
        var view = new byte[dev.VirtualSize];
        dev.Read(0, view);
        return view;
    }

    private static byte[] QemuView(string dir, string image)
    {
        string raw = Path.Combine(dir, "view.raw");
        QemuOracle.ImgOk("convert", "-f", "qcow", "-O", "raw", image, raw);
        var bytes = File.ReadAllBytes(raw);
        File.Delete(raw);
        return bytes;
    }

    [TestMethod]
    public void EveryCrashPointLeavesOldOrNewSectors()
    {
        using var tmp = new TempDir();
        string orig = tmp["orig"];
        Directory.CreateDirectory(orig);
        // 4 KiB clusters over a backing file whose bytes are not zero: a cluster named before its data is there would
        // read zeros, which is neither the state before nor after.
        File.WriteAllBytes(Path.Combine(orig, "b.raw"), Fill((int)Size, 0x77));
        string image = Path.Combine(orig, "a.qcow");
        File.WriteAllBytes(image, [.. Header((ulong)Size, backingOffset: 48, backingSize: 5, l1Offset: 56), .. "b.raw"u8, .. new byte[3 + 512]]);
        QemuIo(image, "write -P 1 0 128k", "write -c -P 2 0 4k", "write -P 3 1M 64k");
        byte[] before = OurView(image);

        var counting = HostFaultPlan.Counting();
        string done = tmp["done"];
        CrashPointVerifier.CopyDirectory(orig, done);
        Operation(CrashPointVerifier.Context(counting), Path.Combine(done, "a.qcow"));
        byte[] after = OurView(Path.Combine(done, "a.qcow"));
        Assert.AreEqual(Host.HostFileChange.Flush, counting.Changes[^1].Change, "the writes end with a flush");

        var problems = new List<string>();
        for (int i = 0; i < counting.Changes.Count; i++)
        {
            string work = tmp[$"work{i}"], crash = tmp[$"crash{i}"];
            CrashPointVerifier.CopyDirectory(orig, work);
            var plan = HostFaultPlan.CrashBefore(i, () => CrashPointVerifier.CopyDirectory(work, crash));
            try { Operation(CrashPointVerifier.Context(plan), Path.Combine(work, "a.qcow")); }
            catch (SimulatedCrashException) { }
            Assert.IsTrue(plan.Triggered, $"crash point {i} not reached");
            string img = Path.Combine(crash, "a.qcow");
            string where = $"crash before change #{i} ({counting.Changes[i].Change})";
            byte[] ours = OurView(img);
            if (!ours.AsSpan().SequenceEqual(QemuView(crash, img)))
                problems.Add($"{where}: qemu-img reads the image differently");
            for (int s = 0; s < ours.Length; s += 512)
            {
                var sector = ours.AsSpan(s, 512);
                if (!sector.SequenceEqual(before.AsSpan(s, 512)) && !sector.SequenceEqual(after.AsSpan(s, 512)))
                {
                    problems.Add($"{where}: sector {s / 512} reads neither as before nor as after");
                    break;
                }
            }
            // Later writes must not land on anything the crash left referenced.
            using (var dev = Open(img, writable: true))
            {
                dev.Write(Size - 8192, Fill(8192, 0xEE));
                dev.Write((2 << 20) + 4096, Fill(4096, 0xEF));
            }
            var expect = (byte[])ours.Clone();
            Fill(8192, 0xEE).CopyTo(expect, Size - 8192);
            Fill(4096, 0xEF).CopyTo(expect, (2 << 20) + 4096);
            if (!OurView(img).AsSpan().SequenceEqual(expect))
                problems.Add($"{where}: later writes changed other data or did not read back");
            Directory.Delete(work, true);
            Directory.Delete(crash, true);
        }
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }
}
