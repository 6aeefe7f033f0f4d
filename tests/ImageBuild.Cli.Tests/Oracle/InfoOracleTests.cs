namespace ImageBuild.Cli.Tests.Oracle;

public sealed partial class InspectOracleTests
{
    [TestMethod]
    [DataRow("default.qcow2")]
    [DataRow("empty.qcow2")]
    [DataRow("v2.qcow2")]
    [DataRow("zstd.qcow2")]
    [DataRow("extl2.qcow2")]
    [DataRow("datafile.qcow2")]
    [DataRow("datafileraw.qcow2")]
    [DataRow("prealloc.qcow2")]
    [DataRow("small-clusters.qcow2")]
    [DataRow("comp.qcow2")]
    [DataRow("default.raw")]
    [DataRow("odd.raw")]
    [DataRow("zero-length.raw")]
    [DataRow("top.qcow2")]
    [DataRow("sub/t.qcow2")]
    [DataRow("snap.qcow2")]
    [DataRow("snap-clock.qcow2")]
    [DataRow("sp ace\u00e9.qcow2")]
    [DataRow("dirty.qcow2")]
    [DataRow("leak.qcow2")]
    [DataRow("no-fmt-ext.qcow2")]
    public void InfoMatchesQemu(string image)
    {
        Same("info", image);
        Same("info", "--output=json", image);
        Same("info", "--output", "json", "-U", image);
    }

    [TestMethod]
    [DataRow("top.qcow2")]
    [DataRow("mid.qcow2")]
    [DataRow("sub/t.qcow2")]
    [DataRow("default.qcow2")]
    [DataRow("default.raw")]
    public void InfoBackingChainMatchesQemu(string image)
    {
        Same("info", "--backing-chain", image);
        Same("info", "--backing-chain", "--output=json", image);
    }

    [TestMethod]
    [DataRow("info", "-f", "qcow2", "default.qcow2")]
    [DataRow("info", "-f", "raw", "default.qcow2")]
    [DataRow("info", "-f", "qcow2", "default.raw")] // wrong format
    [DataRow("info", "-f", "nosuch", "default.raw")]
    [DataRow("info", "nonexistent.qcow2")]
    [DataRow("info", "--output=xml", "default.qcow2")]
    [DataRow("info")]
    [DataRow("info", "--backing-chain", "no-fmt-ext.qcow2")]
    [DataRow("nosuchcommand")]
    public void InfoEdgeCasesMatchQemu(params string[] args) => Same(args);
}
