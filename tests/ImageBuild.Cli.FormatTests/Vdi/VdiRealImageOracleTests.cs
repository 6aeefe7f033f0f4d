using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vdi;

/// <summary>The VDI files of ../shared/images: read bit-exactly (expected.tsv), or refused with qemu's message.</summary>
[TestClass]
[RequiresQemu]
[RequiresSharedImages]
public sealed class VdiRealImageOracleTests
{
    private static string Images => QemuOracle.SharedImages ?? throw new AssertFailedException("../shared/images not found");

    /// <summary>The vdi rows of expected.tsv: (path, raw md5 or "-", qemu's verdict).</summary>
    private static IEnumerable<string[]> Rows() => File.ReadLines(Path.Combine(Images, "expected.tsv"))
        .Where(l => !l.StartsWith('#'))
        .Select(l => l.Split('\t'))
        .Where(c => c.Length >= 5 && c[1] == "vdi");

    [TestMethod]
    public void EveryVdiRowIsCovered()
    {
        var rows = Rows().ToList();
        Assert.IsTrue(rows.Count >= 2, "expected.tsv lists the VirtualBox images");
        foreach (var c in rows)
        {
            if (c[4] == "ok") ConvertsToTheExpectedRaw(c[0], c[2], long.Parse(c[3], System.Globalization.CultureInfo.InvariantCulture));
            else if (c[4] == "qemu-refuses") IsRefusedAsQemuRefusesIt(c[0]);
            else Assert.Fail($"unknown verdict {c[4]} for {c[0]}");
        }
    }

    private static void ConvertsToTheExpectedRaw(string image, string md5, long size)
    {
        using var d = new OracleDirs();
        string path = Path.Combine(Images, image);
        var r = ToolUnderTest.Run(d.T, "convert", "-O", "raw", path, "out.raw");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        Assert.AreEqual(size, new FileInfo(Path.Combine(d.T, "out.raw")).Length, image);
        Assert.AreEqual(md5, QemuOracle.Md5OfFile(Path.Combine(d.T, "out.raw")), image);
        foreach (var args in new[]
        {
            new[] { "info", path }, ["info", "--output=json", path], ["map", path], ["map", "--output=json", path],
            ["check", path], ["check", "--output=json", path], ["check", "-U", path],
        })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }

    private static void IsRefusedAsQemuRefusesIt(string image)
    {
        using var d = new OracleDirs();
        string path = Path.Combine(Images, image);
        foreach (var args in new[]
        {
            new[] { "info", path }, ["info", "--output=json", path], ["convert", "-O", "raw", path, "out.raw"],
            ["check", path], ["map", path], ["compare", path, path],
        })
        {
            var expected = ToolUnderTest.Qemu(d.Q, args);
            Assert.AreNotEqual(0, expected.ExitCode, $"fixture: qemu-img refuses {image}\n{expected}");
            OracleAssert.SameOutcome(expected, ToolUnderTest.Run(d.T, args));
        }
        StringAssert.Contains(ToolUnderTest.Run(d.T, "info", path).StdErr, "unsupported VDI image (non-NULL link UUID)");
    }
}
