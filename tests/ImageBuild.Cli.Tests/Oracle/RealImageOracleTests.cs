using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// Real images made by other software (../shared/images, expected.tsv): `convert -f FMT -O raw` must produce exactly
/// the md5 qemu-img's conversion has. Only the qcow2 and raw rows that qemu-img opens are covered for now.
/// </summary>
[TestClass]
[RequiresQemu]
[RequiresSharedImages]
public sealed class RealImageOracleTests
{
    private static readonly string[] CoveredFormats = ["qcow2", "raw"];

    [TestMethod]
    [DataRow("dfvfs/ext2.qcow2", "qcow2", "196066add11fb71c4c49cf1bb50d6d24")]
    [DataRow("dfvfs/ext2.old.qcow2", "qcow2", "46cea2d8ed87c7f14a6693b609bf12f0")]
    [DataRow("dfvfs/image.qcow2", "qcow2", "d73c51f10c7ee6a681b7b619ccc6f1c4")]
    [DataRow("dfvfs/lvm.qcow2", "qcow2", "a4c4fc538d737624969ba7f5ef7ffbf9")]
    [DataRow("dfvfs/lvmtest.qcow2", "qcow2", "77821d8d7c0cb644ab9f292e9aa2bebb")]
    [DataRow("dfvfs/vsstest.qcow2", "qcow2", "98a745315f150ed68aff3cd6e8890312")]
    [DataRow("dfvfs/windows_volume.qcow2", "qcow2", "e472c93726a55ee3c5f9a860f3a39cae")]
    [DataRow("sleuthkit/image.dd", "raw", "3ebb0b7dcd6b5fcd59a0020625d70994")]
    [DataRow("bwlehrpool/image-default.qcow2", "qcow2", "cd573cfaace07e7949bc0c46028904ff")]
    [DataRow("bwlehrpool/image_cs-16384_cp-off_l2-off.qcow2", "qcow2", "426fb1a2e52e144f499b39eaac0d3096")]
    [DataRow("bwlehrpool/image_cs-16384_cp-off_l2-on.qcow2", "qcow2", "426fb1a2e52e144f499b39eaac0d3096")]
    [DataRow("bwlehrpool/image_cs-16384_cp-on_l2-off.qcow2", "qcow2", "426fb1a2e52e144f499b39eaac0d3096")]
    [DataRow("bwlehrpool/image_cs-16384_cp-on_l2-on.qcow2", "qcow2", "426fb1a2e52e144f499b39eaac0d3096")]
    [DataRow("bwlehrpool/image_cs-65536_cp-off_l2-off.qcow2", "qcow2", "426fb1a2e52e144f499b39eaac0d3096")]
    [DataRow("bwlehrpool/image_cs-65536_cp-off_l2-on.qcow2", "qcow2", "426fb1a2e52e144f499b39eaac0d3096")]
    [DataRow("bwlehrpool/image_cs-65536_cp-on_l2-off.qcow2", "qcow2", "426fb1a2e52e144f499b39eaac0d3096")]
    [DataRow("bwlehrpool/image_cs-65536_cp-on_l2-on.qcow2", "qcow2", "426fb1a2e52e144f499b39eaac0d3096")]
    [DataRow("freebsd-mkimg/img-1x1-512-gpt.qcow2", "qcow2", "36895b06dc632f2ecdea097e07f48f4f")]
    [DataRow("qemu-sample_images/grub_mbr.raw", "raw", "6f62f2caf7e35bce4c79c6e8b1f3ac8e")]
    [DataRow("gns3/linked.qcow2", "qcow2", "b770351fadae5a96bbaf9702ed97d28d")]
    [DataRow("gns3/empty8G.qcow2", "qcow2", "b770351fadae5a96bbaf9702ed97d28d")]
    [DataRow("qemu-tests-data/bios-tables-test.x86_64.iso.qcow2", "qcow2", "afd27a05e027f743c61e30369c5411db")]
    [DataRow("qemu-tests-data/bios-tables-test.aarch64.iso.qcow2", "qcow2", "36e14e238d7935842a5bb9e469d229ef")]
    public void ConvertToRawHasQemusMd5(string image, string format, string md5)
    {
        string root = SharedImagesOrFail();
        string source = Path.Combine(root, image);
        Assert.IsTrue(File.Exists(source), $"{source} is missing");
        using var tmp = new TempDir();
        var r = ToolUnderTest.Run(tmp.Path, "convert", "-f", format, "-O", "raw", source, "out.raw");
        OracleAssert.NoCrash(r);
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        Assert.AreEqual("", r.StdOut, "convert prints nothing");
        Assert.AreEqual(md5, Md5(tmp["out.raw"]), $"md5 of the raw conversion of {image}");
    }

    /// <summary>The DataRows above are exactly the qcow2/raw rows of expected.tsv that qemu-img opens.</summary>
    [TestMethod]
    public void DataRowsCoverEveryOpenableQcow2AndRawRow()
    {
        string root = SharedImagesOrFail();
        var expected = File.ReadAllLines(Path.Combine(root, "expected.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Where(c => c.Length >= 5 && CoveredFormats.Contains(c[1]) && c[4] == "ok")
            .Select(c => $"{c[0]}|{c[1]}|{c[2]}")
            .Order().ToList();
        var rows = typeof(RealImageOracleTests).GetMethod(nameof(ConvertToRawHasQemusMd5))!
            .GetCustomAttributes<DataRowAttribute>()
            .Select(a => string.Join('|', a.Data.Select(x => (string)x!)))
            .Order().ToList();
        CollectionAssert.AreEqual(expected, rows, "DataRows out of date with expected.tsv");
    }

    private static string SharedImagesOrFail() =>
        QemuOracle.SharedImages ?? throw new AssertFailedException("../shared/images with expected.tsv was not found (set IMAGEBUILD_SHARED_IMAGES)");

    /// <summary>md5 of the whole file; holes (SEEK_HOLE) are hashed from a zero buffer instead of being read.</summary>
    private static string Md5(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        long length = fs.Length;
        var buf = new byte[4 << 20];
        var zeros = new byte[4 << 20];
        int fd = (int)fs.SafeFileHandle.DangerousGetHandle();
        long pos = 0;
        while (pos < length)
        {
            long data = Lseek(fd, pos, SeekData);
            if (data < 0) data = length; // ENXIO: only a hole remains
            for (; pos < data; pos += Math.Min(zeros.Length, data - pos))
                md5.AppendData(zeros, 0, (int)Math.Min(zeros.Length, data - pos));
            if (pos >= length) break;
            long hole = Lseek(fd, pos, SeekHole);
            if (hole < 0) hole = length;
            while (pos < hole)
            {
                int n = RandomAccess.Read(fs.SafeFileHandle, buf.AsSpan(0, (int)Math.Min(buf.Length, hole - pos)), pos);
                if (n <= 0) throw new IOException($"short read at {pos} of {path}");
                md5.AppendData(buf, 0, n);
                pos += n;
            }
        }
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    private const int SeekData = 3;
    private const int SeekHole = 4;

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long Lseek(int fd, long offset, int whence);
}
