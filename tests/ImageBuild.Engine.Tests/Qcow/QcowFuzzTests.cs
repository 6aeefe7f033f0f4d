using ImageBuild.Fuzz;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow.QcowTestSupport;

namespace ImageBuild.Engine.Tests.Qcow;

[TestClass]
public sealed class QcowFuzzTests
{
    /// <summary>
    /// Random bytes of the header, L1 and L2 tables and compressed streams of small images are corrupted, then the
    /// fuzz harness's exercise runs on each (open, info, map, reads, and writes on a copy): only ImageException may
    /// come out, and every run ends quickly.
    /// </summary>
    [TestMethod]
    [DataRow("", 1)]
    [DataRow("", 2)]
    [DataRow("b.raw", 3)] // 512-byte clusters, 4096-entry L2 tables, a backing file
    public void RandomMetadataCorruptionOnlyRaisesImageException(string backing, int seed)
    {
        using var tmp = new TempDir();
        string good = tmp["good.qcow"];
        if (backing.Length > 0)
            File.WriteAllBytes(tmp[backing], Enumerable.Repeat((byte)0x77, 3 << 20).ToArray());
        CreateOurs(good, 3 << 20, "", backing.Length > 0 ? backing : null);
        var rnd = new Random(seed);
        using (var dev = Open(good, writable: true))
        {
            var data = new byte[150_000];
            rnd.NextBytes(data);
            dev.Write(1024, data);
            dev.Write(2 << 20, data.AsSpan(0, 70_000));
            var codec = dev.CreateCompressor(ImageBuild.Engine.Compression.DeflateLibrary.RuntimeZlibNg)!;
            var payload = new byte[dev.ClusterSize];
            var text = Enumerable.Range(0, dev.ClusterSize).Select(i => (byte)"qcow fuzz "[i % 10]).ToArray();
            int n = codec.Compress(text, payload);
            dev.WriteCompressedCluster(1 << 20, payload.AsSpan(0, n));
        }
        byte[] original = File.ReadAllBytes(good);
        string bad = tmp["bad.qcow"], copy = tmp["copy.qcow"];
        var ctx = Ctx();
        for (int iter = 0; iter < 60; iter++)
        {
            var b = (byte[])original.Clone();
            for (int f = rnd.Next(1, 5); f > 0; f--)
            {
                int at = rnd.Next(3) switch { 0 => rnd.Next(48), 1 => rnd.Next(Math.Min(b.Length, 48 + 8192)), _ => rnd.Next(b.Length) };
                b[at] = rnd.Next(3) switch { 0 => (byte)rnd.Next(256), 1 => (byte)(b[at] ^ (1 << rnd.Next(8))), _ => 0xFF };
            }
            File.WriteAllBytes(bad, b);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                ImageExercise.Run(ctx, bad, "qcow", copy);
            }
            catch (ImageException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iter}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            Assert.IsLessThan(10, sw.Elapsed.TotalSeconds, $"iteration {iter} took {sw.Elapsed}");
        }
    }
}
