using ImageBuild.Engine.Info;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow2.Qcow2TestSupport;

namespace ImageBuild.Engine.Tests.Qcow2;

[TestClass]
public sealed class Qcow2FuzzTests
{
    private sealed class NullLog : ICheckLog
    {
        public void Message(string line) { }
    }

    /// <summary>
    /// Corrupts random metadata bytes (header, reftable, refblock, L1, L2) of a small image and does everything a
    /// reader does (open, read, map, info, check), then writes, zeroes and discards through a writable open.
    /// Only ImageException may come out.
    /// </summary>
    [TestMethod]
    [DataRow("cluster_size=4096", 1)]
    [DataRow("", 12)]
    [DataRow("refcount_bits=1,cluster_size=1024", 13)]
    [DataRow("cluster_size=16k,extended_l2=on", 2)]
    [DataRow("compat=0.10,cluster_size=512", 3)]
    public void RandomMetadataCorruptionOnlyRaisesImageException(string options, int seed)
    {
        using var tmp = new TempDir();
        string good = tmp["good.qcow2"];
        CreateOurs(good, 1 << 20, options);
        using (var dev = Open(good, writable: true))
        {
            var data = new byte[200000];
            new Random(seed).NextBytes(data);
            dev.Write(1000, data);
            dev.WriteZeroes(600000, 100000, ImageBuild.Engine.Block.WriteZeroesFlags.None);
        }
        byte[] original = File.ReadAllBytes(good);
        int metaEnd = Math.Min(original.Length, 8 * 16384);
        var rnd = new Random(seed);
        string bad = tmp["bad.qcow2"];
        for (int iter = 0; iter < 80; iter++)
        {
            var b = (byte[])original.Clone();
            int flips = rnd.Next(1, 6);
            for (int f = 0; f < flips; f++)
            {
                int at = rnd.Next(rnd.Next(2) == 0 ? 128 : metaEnd);
                b[at] = rnd.Next(3) switch { 0 => (byte)rnd.Next(256), 1 => (byte)(b[at] ^ (1 << rnd.Next(8))), _ => 0xFF };
            }
            File.WriteAllBytes(bad, b);
            try
            {
                using var dev = Open(bad);
                var buf = new byte[1 << 16];
                for (long o = 0; o < Math.Min(dev.VirtualSize, 4L << 20); o += buf.Length)
                    dev.Read(o, buf.AsSpan(0, (int)Math.Min(buf.Length, dev.VirtualSize - o)));
                if (dev.VirtualSize <= 64L << 20)
                    OurMap(dev);
                dev.GetSpecificInfo();
                _ = dev.Snapshots;
                dev.Check(CheckRepair.None, new NullLog());
                dev.Dispose();
                using var w = Open(bad, writable: true);
                var wb = new byte[70000];
                rnd.NextBytes(wb);
                w.Write(rnd.NextInt64(Math.Max(1, w.VirtualSize - wb.Length)), wb.AsSpan(0, (int)Math.Min(wb.Length, w.VirtualSize)));
                w.WriteZeroes(0, Math.Min(w.VirtualSize, 300000), ImageBuild.Engine.Block.WriteZeroesFlags.MayUnmap);
                w.Discard(0, Math.Min(w.VirtualSize, 500000));
                w.Write(0, wb.AsSpan(0, (int)Math.Min(wb.Length, w.VirtualSize)));
            }
            catch (ImageException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iter}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
    }
}
