using ImageBuild.Engine.Block;
using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Compression;

/// <summary>
/// Compressed convert through the runtime's zlib-ng (the default) against qemu-img: qemu inflates every cluster with
/// a 4 KiB window, so a stream reaching further back fails its read with EIO and the compare fails; the streams stay
/// close to the size of qemu's. The --qemu-compression path (the system zlib) writes qemu-img's file byte for byte.
/// </summary>
[TestClass]
public sealed class ZlibNgInteropTests
{
    private static readonly ImageContext Ctx = ImageContext.CreateDefault();

    /// <summary>8 MiB: 6 MiB of real library bytes, 1 MiB of zeros, 1 MiB of random (incompressible) bytes.</summary>
    private static string Source(TempDir dir)
    {
        var data = new byte[8 << 20];
        CompressionTestData.RealBytes(6 << 20, 1 << 20).CopyTo(data, 0);
        CompressionTestData.Random(1 << 20, 7).CopyTo(data, 7 << 20);
        string src = dir["src.raw"];
        File.WriteAllBytes(src, data);
        return src;
    }

    private static void Convert(string src, string dst, string format, string options, DeflateLibrary deflate) =>
        ImageConverter.Convert(Ctx, new ConvertRequest
        {
            Sources = [src], SourceFormat = "raw", OutputFilename = dst, OutputFormat = format, Compress = true,
            TargetOptions = options.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(o => o.Split('=')).Select(kv => new KeyValuePair<string, string>(kv[0], kv[1])).ToList(),
            Deflate = deflate,
        });

    [TestMethod]
    [RequiresQemu]
    [DataRow("qcow2", "cluster_size=512")]
    [DataRow("qcow2", "cluster_size=4096")]
    [DataRow("qcow2", "cluster_size=65536")]
    [DataRow("qcow2", "cluster_size=2097152")]
    [DataRow("qcow", "")]
    [DataRow("vmdk", "subformat=streamOptimized")]
    public void ZlibNgStreams_ReadBackThroughQemu(string format, string options)
    {
        Assert.IsTrue(RuntimeZlib.IsAvailable, RuntimeZlib.Problem);
        using var dir = new TempDir();
        string src = Source(dir);
        string ours = dir["ours." + format];
        Convert(src, ours, format, options, DeflateLibrary.RuntimeZlibNg);

        var cmp = QemuOracle.Img("compare", "-f", "raw", "-F", format, src, ours);
        Assert.AreEqual(0, cmp.ExitCode, $"qemu-img compare: {cmp.StdOut}{cmp.StdErr}");
        if (format != "qcow")
        {
            var check = QemuOracle.Img("check", "-f", format, ours);
            Assert.AreEqual(0, check.ExitCode, $"qemu-img check: {check.StdOut}{check.StdErr}");
        }
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("qcow2", "cluster_size=65536")]
    [DataRow("vmdk", "subformat=streamOptimized")]
    public void ZlibNgStreams_StayWithinTwoPercentOfQemus(string format, string options)
    {
        using var dir = new TempDir();
        string src = Source(dir);
        string ours = dir["ours." + format], theirs = dir["qemu." + format];
        Convert(src, ours, format, options, DeflateLibrary.RuntimeZlibNg);
        var args = new List<string> { "convert", "-q", "-c", "-f", "raw", "-O", format };
        if (options.Length > 0) args.AddRange(["-o", options]);
        QemuOracle.ImgOk([.. args, src, theirs]);
        long a = new FileInfo(ours).Length, b = new FileInfo(theirs).Length;
        Assert.IsTrue(a <= b * 1.02, $"zlib-ng output {a} bytes, qemu-img's {b}: {100.0 * a / b - 100:F2} % larger");
        // and not the same bytes: the test would pass trivially if the default were still the system zlib
        Assert.IsFalse(File.ReadAllBytes(ours).AsSpan().SequenceEqual(File.ReadAllBytes(theirs)), "zlib-ng wrote qemu's bytes");
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("cluster_size=4096")]
    [DataRow("cluster_size=65536")]
    public void SystemZlib_WritesQemuImgsFileByteForByte(string options)
    {
        using var dir = new TempDir();
        string src = Source(dir);
        string ours = dir["ours.qcow2"], theirs = dir["qemu.qcow2"];
        Convert(src, ours, "qcow2", options, DeflateLibrary.SystemZlib);
        QemuOracle.ImgOk("convert", "-q", "-c", "-f", "raw", "-O", "qcow2", "-o", options, src, theirs);
        CollectionAssert.AreEqual(File.ReadAllBytes(theirs), File.ReadAllBytes(ours), "qcow2 file bytes");
    }
}
