using System.Globalization;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// Read exactness: images that qemu-img creates and qemu-io fills (patterns, zero writes, discards, compressed
/// clusters, backing chains) must convert to raw byte-identically to `qemu-img convert -O raw`.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class ReadExactnessOracleTests
{
    [TestMethod]
    [DataRow("cluster_size=512")]
    [DataRow("cluster_size=1k")]
    [DataRow("cluster_size=2k")]
    [DataRow("cluster_size=4k")]
    [DataRow("cluster_size=8k")]
    [DataRow("cluster_size=16k")]
    [DataRow("cluster_size=32k")]
    [DataRow("cluster_size=64k")]
    [DataRow("cluster_size=128k")]
    [DataRow("cluster_size=256k")]
    [DataRow("cluster_size=512k")]
    [DataRow("cluster_size=1M")]
    [DataRow("cluster_size=2M")]
    [DataRow("refcount_bits=1")]
    [DataRow("refcount_bits=2")]
    [DataRow("refcount_bits=4")]
    [DataRow("refcount_bits=8")]
    [DataRow("refcount_bits=32")]
    [DataRow("refcount_bits=64")]
    [DataRow("refcount_bits=1,cluster_size=512")]
    [DataRow("extended_l2=on,cluster_size=16k")]
    [DataRow("extended_l2=on")]
    [DataRow("extended_l2=on,cluster_size=2M")]
    [DataRow("compat=0.10")]
    [DataRow("compat=0.10,cluster_size=4k")]
    [DataRow("compression_type=zstd")]
    [DataRow("compression_type=zstd,cluster_size=512")]
    [DataRow("compression_type=zstd,extended_l2=on,cluster_size=32k")]
    [DataRow("lazy_refcounts=on")]
    [DataRow("preallocation=metadata,cluster_size=4k")]
    public void QemuIoWrittenImageConvertsToTheSameRaw(string options)
    {
        using var tmp = new TempDir();
        long cs = ClusterSize(options);
        long size = Math.Max(8L << 20, 16 * cs);
        ToolUnderTest.QemuOk(tmp.Path, ["create", "-q", "-f", "qcow2", .. Opts(options), "img.qcow2", size.ToString(CultureInfo.InvariantCulture)]);
        File.WriteAllBytes(tmp["p1.bin"], OracleFixtures.MixedContent((int)cs, 7));
        File.WriteAllBytes(tmp["p2.bin"], OracleFixtures.MixedContent((int)cs, 8));
        var script = WriteScript(cs, size);
        if (options.Contains("preallocation", StringComparison.Ordinal))
            script = [.. script.Where(c => !c.Contains(" -c ", StringComparison.Ordinal))]; // compressed writes need unallocated clusters
        ToolUnderTest.QemuIo(tmp.Path, "qcow2", "img.qcow2", script);
        AssertConvertsLikeQemu(tmp.Path, "img.qcow2", "-f", "qcow2");
    }

    /// <summary>qemu-io commands touching every kind of L2 entry, at offsets scaled to the cluster size.</summary>
    internal static string[] WriteScript(long cs, long size)
    {
        string S(long v) => v.ToString(CultureInfo.InvariantCulture);
        return
        [
            $"write -q -P 0x11 0 {S(cs)}",                              // whole cluster
            $"write -q -P 0x22 {S(cs + 512)} 1536",                      // partial cluster
            $"write -q -P 0x33 {S(2 * cs - 512)} 1024",                  // crosses a cluster boundary
            $"write -q -P 0x44 {S(3 * cs)} {S(2 * cs)}",
            $"write -q -z {S(3 * cs + 512)} 1024",                       // zeros inside allocated data
            $"write -q -z {S(5 * cs)} {S(cs)}",                          // whole zero cluster
            $"write -q -P 0x55 {S(6 * cs)} {S(cs)}",
            $"write -q -z -u {S(6 * cs)} {S(cs)}",                       // zero with unmap over data
            $"write -q -P 0x66 {S(7 * cs)} {S(cs)}",
            $"discard -q {S(7 * cs)} {S(cs)}",                            // discarded data
            $"write -q -c -s p1.bin {S(8 * cs)} {S(cs)}",                // compressed, mixed content
            $"write -q -c -P 0x77 {S(9 * cs)} {S(cs)}",                  // compressed, very compressible
            $"write -q -c -s p2.bin {S(10 * cs)} {S(cs)}",
            $"write -q -c -s p1.bin {S(11 * cs)} {S(cs)}",
            $"write -q -P 0x88 {S(10 * cs + 1024)} 512",                 // overwrite inside a compressed cluster
            $"write -q -P 0x99 {S(size - 512)} 512",                     // last sector
        ];
    }

    [TestMethod]
    [DataRow("cluster_size=512")]
    [DataRow("cluster_size=4k")]
    [DataRow("cluster_size=64k")]
    [DataRow("cluster_size=2M")]
    [DataRow("compression_type=zstd,cluster_size=512")]
    [DataRow("compression_type=zstd")]
    [DataRow("compression_type=zstd,cluster_size=2M")]
    [DataRow("extended_l2=on,cluster_size=16k")]
    [DataRow("compat=0.10")]
    [DataRow("refcount_bits=1,cluster_size=1k")]
    public void CompressedImageConvertsToTheSameRaw(string options)
    {
        using var tmp = new TempDir();
        OracleFixtures.WriteSparseRaw(tmp["src.raw"], 6L << 20, (0, 700_000), (1L << 20, 1000), ((3L << 20) + 333, 1_500_000), ((6L << 20) - 4096, 4096));
        ToolUnderTest.QemuOk(tmp.Path, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", options, "src.raw", "c.qcow2");
        AssertConvertsLikeQemu(tmp.Path, "c.qcow2", "-f", "qcow2");
    }

    [TestMethod]
    [DataRow("", "", "", "4M", "8M")]
    [DataRow("cluster_size=512", "cluster_size=2M", "cluster_size=4k", "4M", "8M")]
    [DataRow("compat=0.10", "compat=0.10", "compat=0.10", "8M", "8M")]
    [DataRow("extended_l2=on", "extended_l2=on,cluster_size=16k", "extended_l2=on,cluster_size=2M", "4M", "8M")]
    [DataRow("refcount_bits=1", "refcount_bits=64", "compression_type=zstd", "8M", "3M")] // mid shorter than base
    [DataRow("raw", "cluster_size=4k", "extended_l2=on,cluster_size=64k", "5M", "8M")]
    public void ThreeLayerChainConvertsToTheSameRaw(string baseOpts, string midOpts, string topOpts, string baseSize, string midSize)
    {
        using var tmp = new TempDir();
        string baseName = baseOpts == "raw" ? "base.raw" : "base.qcow2";
        string baseFmt = baseOpts == "raw" ? "raw" : "qcow2";
        if (baseOpts == "raw")
            ToolUnderTest.QemuOk(tmp.Path, "create", "-q", "-f", "raw", baseName, baseSize);
        else
            ToolUnderTest.QemuOk(tmp.Path, ["create", "-q", "-f", "qcow2", .. Opts(baseOpts), baseName, baseSize]);
        ToolUnderTest.QemuOk(tmp.Path, ["create", "-q", "-f", "qcow2", .. Opts(midOpts), "-b", baseName, "-F", baseFmt, "mid.qcow2", midSize]);
        ToolUnderTest.QemuOk(tmp.Path, ["create", "-q", "-f", "qcow2", .. Opts(topOpts), "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2", "8M"]);
        long midCs = ClusterSize(midOpts);
        File.WriteAllBytes(tmp["p1.bin"], OracleFixtures.MixedContent((int)midCs, 3));

        ToolUnderTest.QemuIo(tmp.Path, baseFmt, baseName, "write -q -P 0xa1 0 3M");
        ToolUnderTest.QemuIo(tmp.Path, "qcow2", "mid.qcow2",
            "write -q -P 0xb2 512k 1k", "write -q -z 1M 256k", $"write -q -c -s p1.bin 2M {midCs}", "write -q -P 0xb3 2500k 100k",
            $"write -q -P 0xb4 {ParseSize(midSize) - 4096} 4096");
        ToolUnderTest.QemuIo(tmp.Path, "qcow2", "top.qcow2",
            "write -q -P 0xc1 520k 2k", "write -q -z 1100k 16k", "write -q -P 0xc2 2M 4k", "write -q -P 0xc3 7M 4k",
            "discard -q 7M 64k");

        AssertConvertsLikeQemu(tmp.Path, "top.qcow2"); // probed, backing chain opened from the headers
    }

    [TestMethod]
    public void RelativeBackingInSubdirectoryConvertsToTheSameRaw()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["sub"]);
        ToolUnderTest.QemuOk(tmp.Path, "create", "-q", "-f", "qcow2", "sub/base.qcow2", "4M");
        ToolUnderTest.QemuOk(tmp.Path, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "sub/top.qcow2");
        ToolUnderTest.QemuIo(tmp.Path, "qcow2", "sub/base.qcow2", "write -q -P 0x5a 0 2M");
        ToolUnderTest.QemuIo(tmp.Path, "qcow2", "sub/top.qcow2", "write -q -P 0x6b 1M 64k");
        AssertConvertsLikeQemu(tmp.Path, "sub/top.qcow2");
    }

    [TestMethod]
    public void ExternalDataFileConvertsToTheSameRaw()
    {
        using var tmp = new TempDir();
        ToolUnderTest.QemuOk(tmp.Path, "create", "-q", "-f", "qcow2", "-o", "data_file=img.data", "img.qcow2", "4M");
        ToolUnderTest.QemuIo(tmp.Path, "qcow2", "img.qcow2", "write -q -P 0x42 64k 128k", "write -q -z 1M 64k", "write -q -P 0x43 3M 1k");
        AssertConvertsLikeQemu(tmp.Path, "img.qcow2");
    }

    /// <summary>`convert -O raw` by qemu-img and by the tool under test in the same directory give identical files.</summary>
    internal static void AssertConvertsLikeQemu(string dir, string image, params string[] extra)
    {
        var expected = ToolUnderTest.Qemu(dir, ["convert", .. extra, "-O", "raw", image, "expected.raw"]);
        Assert.AreEqual(0, expected.ExitCode, $"fixture: {expected}");
        var actual = ToolUnderTest.Run(dir, ["convert", .. extra, "-O", "raw", image, "actual.raw"]);
        OracleAssert.SameOutcome(expected, actual);
        OracleFixtures.AssertFilesEqual(Path.Combine(dir, "expected.raw"), Path.Combine(dir, "actual.raw"), $"convert -O raw of {image}");
    }

    internal static string[] Opts(string options) => options.Length == 0 ? [] : ["-o", options];

    internal static long ClusterSize(string options)
    {
        foreach (var part in options.Split(','))
            if (part.StartsWith("cluster_size=", StringComparison.Ordinal))
                return ParseSize(part["cluster_size=".Length..]);
        return 65536;
    }

    internal static long ParseSize(string s)
    {
        char unit = char.ToLowerInvariant(s[^1]);
        int shift = unit switch { 'k' => 10, 'm' => 20, 'g' => 30, 't' => 40, _ => 0 };
        return long.Parse(shift == 0 ? s : s[..^1], CultureInfo.InvariantCulture) << shift;
    }
}
