using System.Globalization;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vmdk;

/// <summary>
/// The VMDK files of ../shared/images (VMware, VirtualBox, FreeBSD's mkimg, qemu's own samples): each readable one
/// converts to the raw bytes of expected.tsv and prints info, map and check exactly as qemu-img does; each one
/// qemu-img refuses is refused with qemu-img's message.
/// </summary>
[TestClass]
[RequiresQemu]
[RequiresSharedImages]
public sealed class VmdkRealImageOracleTests
{
    /// <summary>Above this virtual size the md5 is left to RealImageOracleTests (it compares through qemu-img instead of hashing).</summary>
    private const long Md5Limit = 1L << 30;

    private static string Images => QemuOracle.SharedImages ?? throw new AssertFailedException("../shared/images not found");

    /// <summary>The vmdk rows of expected.tsv: path, raw md5 or "-", virtual size or "-", qemu's verdict.</summary>
    public static IEnumerable<object[]> Rows()
    {
        string? root = QemuOracle.SharedImages;
        if (root is null) return [["(no shared images)", "-", "-", "-"]];
        return File.ReadLines(Path.Combine(root, "expected.tsv"))
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Where(c => c.Length >= 5 && c[1] == "vmdk")
            .Select(c => new object[] { c[0], c[2], c[3], c[4] });
    }

    [TestMethod]
    [DynamicData(nameof(Rows))]
    public void RealVmdkBehavesAsInQemu(string image, string md5, string size, string verdict)
    {
        using var d = new OracleDirs();
        string path = Path.Combine(Images, image);
        if (verdict == "ok")
        {
            long virtualSize = long.Parse(size, CultureInfo.InvariantCulture);
            if (virtualSize <= Md5Limit)
            {
                var r = ToolUnderTest.Run(d.T, "convert", "-O", "raw", path, "out.raw");
                Assert.AreEqual(0, r.ExitCode, r.ToString());
                Assert.AreEqual(virtualSize, new FileInfo(Path.Combine(d.T, "out.raw")).Length, image);
                Assert.AreEqual(md5, QemuOracle.Md5OfFile(Path.Combine(d.T, "out.raw")), image);
            }
            foreach (var args in new[]
            {
                new[] { "info", path }, ["info", "--output=json", path], ["map", path], ["map", "--output=json", path],
                ["check", path], ["check", "--output=json", path], ["check", "-r", "all", path],
            })
                OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
            return;
        }
        Assert.AreEqual("qemu-refuses", verdict, image);
        foreach (var args in new[]
        {
            new[] { "info", path }, ["info", "--output=json", path], ["convert", "-O", "raw", path, "out.raw"],
            ["check", path], ["map", path],
        })
        {
            var expected = ToolUnderTest.Qemu(d.Q, args);
            Assert.AreNotEqual(0, expected.ExitCode, $"fixture: qemu-img refuses {image}\n{expected}");
            OracleAssert.SameOutcome(expected, ToolUnderTest.Run(d.T, args));
        }
    }
}
