using System.Text.Json.Nodes;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Luks;

/// <summary>
/// `create -f luks` against qemu-img: exit code, Formatting line and errors alike, whether the file is left behind,
/// and for images made, the same size and the same info once the random fields (uuid, iteration counts from each
/// tool's own benchmark) are set aside.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class LuksCreateOracleTests
{
    [TestMethod]
    [DataRow("key-secret=s0,iter-time=10", "1M")]
    [DataRow("key-secret=s0,iter-time=10", "0")]
    [DataRow("key-secret=s0,iter-time=10", "1000")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=aes-128", "100K")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=aes-192,cipher-mode=xts", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=aes-256,cipher-mode=cbc,ivgen-alg=essiv", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=plain,hash-alg=sha1", "1M")]
    [DataRow("key-secret=s0,iter-time=10,ivgen-alg=essiv,ivgen-hash-alg=md5,hash-alg=sha512", "1M")]
    [DataRow("key-secret=s0,iter-time=10,ivgen-alg=plain64,ivgen-hash-alg=sha1,hash-alg=md5", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=twofish-256,hash-alg=sha224", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=serpent-192,ivgen-alg=essiv,hash-alg=ripemd160", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=cast5-128,cipher-mode=cbc,ivgen-alg=essiv,ivgen-hash-alg=md5", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=twofish-128,cipher-mode=ecb,ivgen-alg=plain", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=serpent-256,cipher-mode=ctr,hash-alg=sha1", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=cast5-128,cipher-mode=xts", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=cast5-128,cipher-mode=ctr,ivgen-alg=essiv", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=serpent-128,ivgen-alg=essiv,ivgen-hash-alg=sha1", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=twofish-192,ivgen-alg=essiv,ivgen-hash-alg=ripemd160", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=3des,cipher-mode=cbc", "1M")]
    [DataRow("key-secret=s0,iter-time=0", "1M")]
    [DataRow("key-secret=s0,iter-time=10,preallocation=falloc", "1M")]
    [DataRow("key-secret=s0,iter-time=10,preallocation=full", "1M")]
    [DataRow("key-secret=s0,iter-time=10,preallocation=metadata", "1M")]
    [DataRow("key-secret=s0,iter-time=10,preallocation=off", "1M")]
    [DataRow("key-secret=s0,iter-time=10,preallocation=foo", "1M")]
    [DataRow("iter-time=10", "1M")]
    [DataRow("key-secret=s9,iter-time=10", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=foo", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=sm4", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=des", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-mode=foo", "1M")]
    [DataRow("key-secret=s0,iter-time=10,ivgen-alg=foo", "1M")]
    [DataRow("key-secret=s0,iter-time=10,hash-alg=foo", "1M")]
    [DataRow("key-secret=s0,iter-time=10,ivgen-hash-alg=foo", "1M")]
    [DataRow("key-secret=s0,iter-time=10,ivgen-alg=essiv,ivgen-hash-alg=sha1", "1M")]
    [DataRow("key-secret=s0,iter-time=10,ivgen-alg=essiv,ivgen-hash-alg=sha512", "1M")]
    [DataRow("key-secret=s0,iter-time=abc", "1M")]
    [DataRow("key-secret=s0,iter-time=10,nosuch=1", "1M")]
    [DataRow("key-secret=s0,iter-time=10", "")]
    [DataRow("help", "")]
    public void CreateMatchesQemu(string options, string size)
    {
        using var d = LuksOracle.Dirs();
        List<string> args = ["create", "-f", "luks", .. LuksOracle.Secret, "-o", options, "img.luks"];
        if (size.Length > 0) args.Add(size);
        var expected = LuksOracle.Qemu(d.Q, [.. args]);
        var actual = LuksOracle.Run(d.T, [.. args]);
        OracleAssert.SameOutcome(expected, actual);
        string q = Path.Combine(d.Q, "img.luks"), t = Path.Combine(d.T, "img.luks");
        Assert.AreEqual(File.Exists(q), File.Exists(t), "file left behind");
        if (!File.Exists(q)) return;
        Assert.AreEqual(new FileInfo(q).Length, new FileInfo(t).Length, "file length");
        // qemu-img reads the header of ours as it reads its own
        string qi = ToolUnderTest.QemuOk(d.Q, "info", "--output=json", "img.luks");
        string ti = ToolUnderTest.QemuOk(d.T, "info", "--output=json", "img.luks");
        OracleAssert.JsonDataEqual(Normalise(qi), Normalise(ti), "info", "uuid", "iters", "master-key-iters", "actual-size");
    }

    /// <summary>Iteration counts depend on each tool's benchmark, but never fall below qemu's minimum of 1000.</summary>
    private static string Normalise(string infoJson)
    {
        var node = JsonNode.Parse(infoJson)!;
        var data = node["format-specific"]!["data"]!;
        Assert.IsTrue(data["master-key-iters"]!.GetValue<long>() >= 1000);
        foreach (var slot in data["slots"]!.AsArray())
            if (slot!["iters"] is { } iters) Assert.IsTrue(iters.GetValue<long>() >= 1000);
        return node.ToJsonString();
    }

    [TestMethod]
    public void CreateHelpAndAmendHelpMatchQemu()
    {
        using var d = LuksOracle.Dirs();
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, "create", "-f", "luks", "-o", "help"), ToolUnderTest.Run(d.T, "create", "-f", "luks", "-o", "help"));
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, "amend", "-f", "luks", "-o", "help"), ToolUnderTest.Run(d.T, "amend", "-f", "luks", "-o", "help"));
    }

    [TestMethod]
    [DataRow("key-secret=s0,iter-time=10", "--size", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=aes-128", "--size", "12345")]
    [DataRow("key-secret=s0,cipher-alg=aes-192,cipher-mode=xts,ivgen-alg=essiv,iter-time=10", "--size", "1G")]
    [DataRow("key-secret=s0,iter-time=10,preallocation=full", "--size", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=cast5-128,cipher-mode=cbc", "--size", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=twofish-192,hash-alg=ripemd160", "--size", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=cast5-128", "--size", "1M")]
    [DataRow("iter-time=10", "--size", "1M")]
    [DataRow("key-secret=s9,iter-time=10", "--size", "1M")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=foo", "--size", "1M")]
    [DataRow("key-secret=s0,iter-time=10", "src", "")]
    public void MeasureMatchesQemu(string options, string what, string size)
    {
        using var d = LuksOracle.Dirs();
        d.QemuOkInBoth("create", "-q", "-f", "qcow2", "src.qcow2", "3M");
        foreach (string output in new[] { "human", "json" })
        {
            List<string> args = ["measure", "--output=" + output, .. LuksOracle.Secret, "-O", "luks", "-o", options];
            if (what == "src") args.Add("src.qcow2"); else args.AddRange([what, size]);
            OracleAssert.SameOutcome(LuksOracle.Qemu(d.Q, [.. args]), LuksOracle.Run(d.T, [.. args]));
        }
    }
}
