using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// One directory of images made by qemu-img/qemu-io, shared (read-only) by the info, map, measure, check and compare
/// oracle tests: both programs read the SAME files from the same working directory, so every field
/// (actual-size included) must print identically.
/// </summary>
public sealed class InspectFixture : IDisposable
{
    private static readonly Lazy<InspectFixture> Shared = new(() => new InspectFixture());
    private static bool _created;

    private readonly TempDir _tmp = new();

    public string Dir => _tmp.Path;

    /// <summary>The fixture directory, built on first use.</summary>
    public static string Get()
    {
        _created = true;
        return Shared.Value.Dir;
    }

    public static void DisposeShared()
    {
        if (_created && Shared.IsValueCreated) Shared.Value.Dispose();
    }

    private InspectFixture()
    {
        string d = Dir;
        void Img(params string[] a) => ToolUnderTest.QemuOk(d, a);
        void Io(string fmt, string img, params string[] c) => ToolUnderTest.QemuIo(d, fmt, img, c);
        File.WriteAllBytes(_tmp["p.bin"], OracleFixtures.MixedContent(65536, 11));
        string[] fill = ["write -q -P 0x11 0 1M", "write -q -z 2M 1M", "write -q -P 0x22 5M 64k", "write -q -P 0x23 7M 3k"];

        Img("create", "-q", "-f", "qcow2", "default.qcow2", "64M");
        Io("qcow2", "default.qcow2", fill);
        Img("create", "-q", "-f", "qcow2", "empty.qcow2", "1G");
        Img("create", "-q", "-f", "qcow2", "-o", "compat=0.10", "v2.qcow2", "64M");
        Io("qcow2", "v2.qcow2", fill);
        Img("create", "-q", "-f", "qcow2", "-o", "compression_type=zstd,lazy_refcounts=on,refcount_bits=1", "zstd.qcow2", "64M");
        Io("qcow2", "zstd.qcow2", fill);
        Img("create", "-q", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=32k", "extl2.qcow2", "64M");
        Io("qcow2", "extl2.qcow2", [.. fill, "write -q -P 0x24 9M 1k"]);
        Img("create", "-q", "-f", "qcow2", "-o", "data_file=ext.data", "datafile.qcow2", "16M");
        Io("qcow2", "datafile.qcow2", fill);
        Img("create", "-q", "-f", "qcow2", "-o", "data_file=extraw.data,data_file_raw=on", "datafileraw.qcow2", "16M");
        Img("create", "-q", "-f", "qcow2", "-o", "preallocation=metadata,cluster_size=4k", "prealloc.qcow2", "3M");
        Img("create", "-q", "-f", "qcow2", "-o", "refcount_bits=64,cluster_size=512", "small-clusters.qcow2", "1000");

        Img("convert", "-q", "-c", "-O", "qcow2", "default.qcow2", "comp.qcow2");
        Img("convert", "-q", "-O", "raw", "default.qcow2", "default.raw");
        Img("create", "-q", "-f", "raw", "odd.raw", "1000");
        File.WriteAllBytes(_tmp["zero-length.raw"], []);

        Img("create", "-q", "-f", "qcow2", "base.qcow2", "64M");
        Io("qcow2", "base.qcow2", "write -q -P 0x44 0 8M", "write -q -P 0x45 20M 1M");
        Img("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "mid.qcow2");
        Io("qcow2", "mid.qcow2", "write -q -P 0x55 512k 1k", "write -q -z 4M 1M");
        Img("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2");
        Io("qcow2", "top.qcow2", "write -q -P 0x66 1M 64k", "write -q -P 0x67 10M 64k");
        Img("create", "-q", "-f", "qcow2", "-u", "-b", "base.raw", "-F", "raw", "no-fmt-ext.qcow2", "4M"); // backing missing

        Directory.CreateDirectory(_tmp["sub"]);
        Img("create", "-q", "-f", "qcow2", "sub/b.qcow2", "8M");
        Img("create", "-q", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", "sub/t.qcow2");

        Img("create", "-q", "-f", "qcow2", "snap.qcow2", "8M");
        Io("qcow2", "snap.qcow2", "write -q -P 0x71 0 64k");
        Img("snapshot", "-c", "first", "snap.qcow2");
        Io("qcow2", "snap.qcow2", "write -q -P 0x72 0 64k");
        Img("snapshot", "-c", "second snapshot", "snap.qcow2");
        Img("bitmap", "--add", "snap.qcow2", "bm0");
        Img("bitmap", "--add", "-g", "128k", "--disable", "snap.qcow2", "bm1");
        // a snapshot whose VM clock (unsigned in qemu) is above 2^63 ns: qemu divides it as unsigned
        Img("create", "-q", "-f", "qcow2", "snap-clock.qcow2", "1M");
        Img("snapshot", "-c", "late", "snap-clock.qcow2");
        OracleFixtures.WriteBe64(_tmp["snap-clock.qcow2"], (long)OracleFixtures.ReadBe64(_tmp["snap-clock.qcow2"], 64) + 24, 0xF27F_0000_1234_5678);

        Img("create", "-q", "-f", "qcow2", "sp ace\u00e9.qcow2", "1M");

        // compare fixtures: sizes differ, with and without data past the shorter end
        Img("create", "-q", "-f", "qcow2", "e64.qcow2", "64M");
        Io("qcow2", "e64.qcow2", "write -q -P 0x11 0 1M");
        Img("create", "-q", "-f", "qcow2", "e128.qcow2", "128M");
        Io("qcow2", "e128.qcow2", "write -q -P 0x11 0 1M");
        Img("create", "-q", "-f", "qcow2", "e128data.qcow2", "128M");
        Io("qcow2", "e128data.qcow2", "write -q -P 0x11 0 1M", "write -q -P 0x12 100M 4k");
        Img("create", "-q", "-f", "qcow2", "e64diff.qcow2", "64M");
        Io("qcow2", "e64diff.qcow2", "write -q -P 0x11 0 1M", "write -q -P 0x13 777k 1");

        // lazy refcounts + crash: dirty flag set, refcounts stale
        Img("create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", "dirty.qcow2", "8M");
        QemuOracle.Run(QemuOracle.QemuIo, ["-f", "qcow2", "-c", "write -q -P 1 0 64k", "-c", "abort", "dirty.qcow2"], d);

        // check fixtures corrupted on purpose: default layout, data of guest cluster 0 in host cluster N
        Img("create", "-q", "-f", "qcow2", "leak.qcow2", "8M");
        Io("qcow2", "leak.qcow2", "write -q -P 0x31 0 64k", "write -q -P 0x32 1M 64k");
        File.Copy(_tmp["leak.qcow2"], _tmp["corrupt.qcow2"]);
        File.Copy(_tmp["leak.qcow2"], _tmp["leak-tail.qcow2"]);
        string leak = _tmp["leak.qcow2"], corrupt = _tmp["corrupt.qcow2"];
        OracleFixtures.WriteBe16(leak, OracleFixtures.RefcountEntryOffset(leak, OracleFixtures.FirstDataCluster(leak)), 2);
        OracleFixtures.WriteBe16(corrupt, OracleFixtures.RefcountEntryOffset(corrupt, OracleFixtures.FirstDataCluster(corrupt)), 0);
        // a refcount for a cluster past the end of the file: leaked space at the end
        string tail = _tmp["leak-tail.qcow2"];
        long eofCluster = (new FileInfo(tail).Length + 65535) / 65536;
        OracleFixtures.WriteBe16(tail, OracleFixtures.RefcountEntryOffset(tail, eofCluster + 2), 1);
        using (var fs = new FileStream(tail, FileMode.Open)) fs.SetLength((eofCluster + 3) * 65536);
    }

    public void Dispose() => _tmp.Dispose();
}
