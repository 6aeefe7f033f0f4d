using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow2.Qcow2TestSupport;

namespace ImageBuild.Engine.Tests.Qcow2;

[TestClass]
public sealed class Qcow2CreateTests
{
    [TestMethod]
    [RequiresQemu]
    [DataRow(67108864L, "")]
    [DataRow(0L, "")]
    [DataRow(1000L, "")]
    [DataRow(1048576L, "compat=0.10")]
    [DataRow(1048576L, "compat=v2,cluster_size=512")]
    [DataRow(5000000000L, "cluster_size=4096")]
    [DataRow(3298534883328L, "")]
    [DataRow(3298534883328L, "cluster_size=2M,refcount_bits=64")]
    [DataRow(10737418240L, "cluster_size=512")]
    [DataRow(1073741824L, "cluster_size=512,refcount_bits=1")]
    [DataRow(104857600L, "refcount_bits=1")]
    [DataRow(104857600L, "refcount_bits=2")]
    [DataRow(104857600L, "refcount_bits=4")]
    [DataRow(104857600L, "refcount_bits=8")]
    [DataRow(104857600L, "refcount_bits=32")]
    [DataRow(104857600L, "refcount_bits=64")]
    [DataRow(104857600L, "lazy_refcounts=on")]
    [DataRow(104857600L, "compression_type=zstd")]
    [DataRow(104857600L, "extended_l2=on")]
    [DataRow(104857600L, "extended_l2=on,cluster_size=16k")]
    [DataRow(104857600L, "cluster_size=8192")]
    [DataRow(104857600L, "cluster_size=1024")]
    [DataRow(104857600L, "backing_file=base.qcow2,backing_fmt=qcow2")]
    [DataRow(104857600L, "backing_file=base.qcow2,backing_fmt=qcow2,cluster_size=512")]
    [DataRow(104857600L, "backing_file=b.raw,backing_fmt=raw,compat=0.10")]
    [DataRow(104857600L, "data_file=data.raw")]
    [DataRow(104857600L, "data_file=data.raw,data_file_raw=on")]
    [DataRow(104857600L, "preallocation=metadata")]
    [DataRow(1048576L, "preallocation=metadata,cluster_size=512")]
    [DataRow(20971520L, "preallocation=metadata,cluster_size=512")]
    [DataRow(104857600L, "preallocation=metadata,extended_l2=on")]
    [DataRow(10485760L, "preallocation=falloc")]
    [DataRow(10485760L, "preallocation=full,cluster_size=4096")]
    [DataRow(10485760L, "preallocation=full,extended_l2=on")]
    [DataRow(10486272L, "preallocation=metadata")]
    [DataRow(104857600L, "preallocation=falloc,refcount_bits=1")]
    [DataRow(1048576L, "preallocation=full,cluster_size=512")]
    [DataRow(8388608L, "preallocation=falloc,extended_l2=on,cluster_size=16k,lazy_refcounts=on")]
    [DataRow(33554432L, "preallocation=metadata,compat=0.10")]
    [DataRow(33554432L, "compression_type=zstd,extended_l2=on,lazy_refcounts=on,refcount_bits=8")]
    [DataRow(4194304L, "data_file=data.raw,preallocation=falloc")]
    [DataRow(4194304L, "data_file=data.raw,preallocation=metadata,extended_l2=on")]
    [DataRow(67108864L, "preallocation=metadata,cluster_size=2M")]
    [DataRow(549755813888L, "extended_l2=on,cluster_size=16k")]
    public void CreatedFileIsByteIdenticalToQemu(long size, string options)
    {
        using var tmp = new TempDir();
        string ours = tmp["ours.qcow2"], theirs = tmp["theirs.qcow2"];
        string qemuOptions = options.Replace("data.raw", tmp["qq-data.raw"]);
        string ourOptions = options.Replace("data.raw", tmp["oo-data.raw"]);
        CreateQemu(theirs, size, qemuOptions);
        CreateOurs(ours, size, ourOptions);
        if (Environment.GetEnvironmentVariable("QCOW2_KEEP") is { } keep)
        {
            File.Copy(theirs, Path.Combine(keep, $"theirs-{options}.qcow2"), true);
            File.Copy(ours, Path.Combine(keep, $"ours-{options}.qcow2"), true);
        }
        byte[] a = File.ReadAllBytes(theirs);
        byte[] b = File.ReadAllBytes(ours);
        if (options.Contains("data_file"))
        {
            // The header names a different data file (same length); patch the name back before comparing.
            int at = b.AsSpan().IndexOf("oo-data.raw"u8);
            Assert.IsTrue(at > 0);
            "qq-data.raw"u8.CopyTo(b.AsSpan(at));
            Assert.AreEqual(new FileInfo(tmp["qq-data.raw"]).Length, new FileInfo(tmp["oo-data.raw"]).Length, "data file length");
        }
        Assert.AreEqual(a.Length, b.Length, $"file length {a.Length} vs ours {b.Length}");
        int diff = Array.FindIndex(a, i => false);
        for (int i = 0; i < a.Length; i++)
            if (a[i] != b[i]) { diff = i; break; }
        Assert.AreEqual(-1, diff, $"first difference at byte {diff:#x}");
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("compat=0.9", "Parameter 'version' does not accept value '0.9'")]
    [DataRow("compat=0.10,lazy_refcounts=on", "Lazy refcounts only supported with compatibility level 1.1 and above (use version=v3 or greater)")]
    [DataRow("refcount_bits=3", "Refcount width must be a power of two and may not exceed 64 bits")]
    [DataRow("refcount_bits=128", "Refcount width must be a power of two and may not exceed 64 bits")]
    [DataRow("compat=0.10,refcount_bits=8", "Different refcount widths than 16 bits require compatibility level 1.1 or above (use version=v3 or greater)")]
    [DataRow("compat=0.10,compression_type=zstd", "Non-zlib compression type is only supported with compatibility level 1.1 and above (use version=v3 or greater)")]
    [DataRow("compression_type=lz4", "Parameter 'compression-type' does not accept value 'lz4'")]
    [DataRow("extended_l2=on,cluster_size=8k", "Extended L2 entries are only supported with cluster sizes of at least 16384 bytes")]
    [DataRow("compat=0.10,extended_l2=on", "Extended L2 entries are only supported with compatibility level 1.1 and above (use version=v3 or greater)")]
    [DataRow("compat=0.10,data_file=d.raw", "External data files are only supported with compatibility level 1.1 and above (use version=v3 or greater)")]
    [DataRow("data_file_raw=on", "data-file-raw requires data-file")]
    [DataRow("preallocation=xyz", "Parameter 'preallocation' does not accept value 'xyz'")]
    [DataRow("cluster_size=1000", "Cluster size must be a power of two between 512 and 2048k")]
    [DataRow("cluster_size=4M", "Cluster size must be a power of two between 512 and 2048k")]
    [DataRow("preallocation=metadata,backing_file=a.qcow2,backing_fmt=qcow2", "Backing file and preallocation can only be used at the same time if extended_l2 is on")]
    [DataRow("data_file_raw=on,data_file=d.raw,backing_file=a.qcow2,backing_fmt=qcow2", "Backing file and data-file-raw cannot be used at the same time")]
    public void ValidationErrorsUseQemuWording(string options, string message)
    {
        using var tmp = new TempDir();
        var r = QemuOracle.Img("create", "-q", "-u", "-f", "qcow2", "-o", options, tmp["q.qcow2"], "1M");
        StringAssert.Contains(r.StdErr, message, "the oracle's wording changed");
        var e = Assert.ThrowsExactly<ImageException>(() => CreateOurs(tmp["o.qcow2"], 1 << 20, options));
        Assert.AreEqual($"{tmp["o.qcow2"]}: {message}", e.Message);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("")]
    [DataRow("preallocation=metadata,compat=v3,backing_file=b.qcow2,backing_fmt=qcow2,lazy_refcounts=on,refcount_bits=8,cluster_size=4k")]
    [DataRow("encrypt.key-secret=s,encryption=off,encrypt.cipher-alg=aes-128,data_file=d.raw,data_file_raw=on,extended_l2=on,compression_type=zstd")]
    [DataRow("encrypt.format=aes,encrypt.iter-time=10,encrypt.hash-alg=sha1,encrypt.ivgen-alg=plain64,encrypt.ivgen-hash-alg=sha1,encrypt.cipher-mode=xts")]
    public void FormattingLineFollowsQemusOptionOrder(string options)
    {
        using var tmp = new TempDir();
        string[] args = options.Length == 0 ? ["create", "-u", "-f", "qcow2", "x.qcow2", "1M"] : ["create", "-u", "-f", "qcow2", "-o", options, "x.qcow2", "1M"];
        var r = QemuOracle.Run(QemuOracle.QemuImg, args, tmp.Path);
        string qemuLine = r.StdOut.Split('\n')[0];
        StringAssert.StartsWith(qemuLine, "Formatting 'x.qcow2'");
        var format = new ImageBuild.Engine.Formats.Qcow2.Qcow2Format();
        var pairs = options.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => new KeyValuePair<string, string>(p[..p.IndexOf('=')], p[(p.IndexOf('=') + 1)..])).ToList();
        pairs.Add(new("size", "1048576"));
        var values = ImageBuild.Engine.Operations.ImageCreator.ParseOptions(format, pairs);
        Assert.AreEqual(qemuLine, ImageBuild.Engine.Operations.ImageCreator.FormattingLine("x.qcow2", format, values));
    }

    [TestMethod]
    [RequiresQemu]
    public void OptionHelpMatchesQemu()
    {
        string help = QemuOracle.ImgOk("create", "-f", "qcow2", "-o", "help");
        var qemu = help.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l.Trim(), @"\s+- ", " - ")).ToList();
        var ours = new ImageBuild.Engine.Formats.Qcow2.Qcow2Format().CreateOptions
            .OrderBy(o => o.Name, StringComparer.Ordinal)
            .Select(o => $"{o.Name}=<{o.Type switch { ImageBuild.Engine.Options.OptionType.Size => "size", ImageBuild.Engine.Options.OptionType.Bool => "bool (on/off)", ImageBuild.Engine.Options.OptionType.Number => "num", _ => "str" }}> - {o.Help}")
            .ToList();
        CollectionAssert.AreEqual(qemu, ours, string.Join("\n", ours));
    }

    [TestMethod]
    public void TooLargeForClusterSizeIsRefused()
    {
        using var tmp = new TempDir();
        var e = Assert.ThrowsExactly<ImageException>(() => CreateOurs(tmp["o.qcow2"], 1L << 40, "cluster_size=512"));
        StringAssert.EndsWith(e.Message, "The image size is too large for file format 'qcow2' (try using a larger cluster size)");
    }
}
