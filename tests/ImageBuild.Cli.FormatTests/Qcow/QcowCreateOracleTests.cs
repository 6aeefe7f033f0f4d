using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Qcow;

/// <summary>
/// `create -f qcow` against qemu-img: the same exit code, Formatting line and errors, and the same file, byte for
/// byte (qcow has no random fields; qemu writes mtime 0), including the empty file qemu leaves behind when it
/// refuses after creating it.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class QcowCreateOracleTests
{
    [TestMethod]
    [DataRow("", "1M")]
    [DataRow("", "1000")]
    [DataRow("", "1")]
    [DataRow("", "0")]
    [DataRow("", "64M")]
    [DataRow("", "3T")]
    [DataRow("", "")]
    [DataRow("size=2M", "")]
    [DataRow("size=2M", "1M")]
    [DataRow("encryption=off", "1M")]
    [DataRow("encryption=on", "1M")]
    [DataRow("encryption=yes", "1M")]
    [DataRow("encryption=maybe", "1M")]
    [DataRow("encrypt.format=aes", "1M")]
    [DataRow("encrypt.format=qcow", "1M")]
    [DataRow("encrypt.format=luks", "1M")]
    [DataRow("encrypt.format=foo", "1M")]
    [DataRow("encryption=on,encrypt.format=aes", "1M")]
    [DataRow("encryption=off,encrypt.format=aes", "1M")]
    [DataRow("encrypt.key-secret=s0", "1M")]
    [DataRow("encryption=on", "0")]
    [DataRow("backing_fmt=raw", "1M")]
    [DataRow("backing_fmt=nosuch", "1M")]
    [DataRow("backing_file=nope.img,backing_fmt=raw", "1M")]
    [DataRow("preallocation=off", "1M")]
    [DataRow("preallocation=falloc", "1M")]
    [DataRow("preallocation=full", "1M")]
    [DataRow("preallocation=metadata", "1M")]
    [DataRow("nocow=on", "1M")]
    [DataRow("extent_size_hint=1M", "1M")]
    [DataRow("cluster_size=512", "1M")]
    [DataRow("help", "")]
    public void CreateMatchesQemu(string options, string size)
    {
        using var d = new OracleDirs();
        var args = new List<string> { "create", "-f", "qcow" };
        if (options.Length > 0) args.AddRange(["-o", options]);
        args.Add("img.qcow");
        if (size.Length > 0) args.Add(size);
        var expected = ToolUnderTest.Qemu(d.Q, [.. args]);
        var actual = ToolUnderTest.Run(d.T, [.. args]);
        OracleAssert.SameOutcome(expected, actual);
        AssertSameFile(d, "img.qcow");
    }

    [TestMethod]
    [DataRow("-b base.qcow -F qcow", "")]
    [DataRow("-b base.qcow -F qcow", "16M")]
    [DataRow("-b base.raw -F raw", "")]
    [DataRow("-o backing_file=base.qcow,backing_fmt=qcow", "")]
    [DataRow("-b base.qcow", "")] // backing format required
    [DataRow("-b nope.qcow -F qcow", "")]
    [DataRow("-b nope.qcow -F qcow -u", "1M")]
    [DataRow("-b fat: -F raw -u", "1M")] // not stored, yet 512-byte clusters
    [DataRow("-b sub/../base.qcow -F qcow", "")]
    [DataRow("-b top.qcow -F qcow", "1M")]
    public void CreateWithBackingMatchesQemu(string backingArgs, string size)
    {
        using var d = new OracleDirs();
        d.QemuOkInBoth("create", "-q", "-f", "qcow", "base.qcow", "8M");
        d.QemuOkInBoth("create", "-q", "-f", "raw", "base.raw", "3M");
        foreach (var dir in new[] { d.Q, d.T }) Directory.CreateDirectory(Path.Combine(dir, "sub"));
        var args = new List<string> { "create", "-f", "qcow" };
        args.AddRange(backingArgs.Split(' '));
        args.Add("top.qcow");
        if (size.Length > 0) args.Add(size);
        var expected = ToolUnderTest.Qemu(d.Q, [.. args]);
        var actual = ToolUnderTest.Run(d.T, [.. args]);
        OracleAssert.SameOutcome(expected, actual);
        AssertSameFile(d, "top.qcow");
        if (expected.ExitCode == 0 && !backingArgs.Contains("-u"))
        {
            string[] info = ["info", "--output=json", "--backing-chain", "top.qcow"];
            OracleAssert.JsonDataEqual(ToolUnderTest.QemuOk(d.Q, info), ToolUnderTest.Run(d.T, info).StdOut, "info", "actual-size");
        }
    }

    /// <summary>The same file in both twins: both absent, or both present with the same bytes.</summary>
    internal static void AssertSameFile(OracleDirs d, string name)
    {
        string q = Path.Combine(d.Q, name), t = Path.Combine(d.T, name);
        Assert.AreEqual(File.Exists(q), File.Exists(t), $"{name} exists in one twin only");
        if (File.Exists(q))
            OracleFixtures.AssertFilesEqual(q, t, name);
    }
}
