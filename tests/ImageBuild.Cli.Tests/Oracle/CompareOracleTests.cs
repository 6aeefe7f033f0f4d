namespace ImageBuild.Cli.Tests.Oracle;

public sealed partial class InspectOracleTests
{
    [TestMethod]
    [DataRow("compare", "default.qcow2", "default.raw")] // identical, exit 0
    [DataRow("compare", "default.qcow2", "comp.qcow2")]
    [DataRow("compare", "default.qcow2", "v2.qcow2")]
    [DataRow("compare", "default.qcow2", "extl2.qcow2")] // extra byte written at 9M
    [DataRow("compare", "default.qcow2", "zstd.qcow2")]
    [DataRow("compare", "base.qcow2", "top.qcow2")] // content mismatch at an offset, exit 1
    [DataRow("compare", "mid.qcow2", "top.qcow2")]
    [DataRow("compare", "e64.qcow2", "e64diff.qcow2")] // a single differing byte
    [DataRow("compare", "e64.qcow2", "e128.qcow2")] // size mismatch warning, then identical
    [DataRow("compare", "e64.qcow2", "e128data.qcow2")] // size mismatch, data past the end
    [DataRow("compare", "e128data.qcow2", "e64.qcow2")]
    [DataRow("compare", "-s", "e64.qcow2", "e128.qcow2")] // strict: size mismatch
    [DataRow("compare", "-s", "default.qcow2", "default.raw")] // strict: block status mismatch
    [DataRow("compare", "-s", "default.qcow2", "default.qcow2")]
    [DataRow("compare", "-q", "base.qcow2", "top.qcow2")]
    [DataRow("compare", "-q", "default.qcow2", "default.raw")]
    [DataRow("compare", "-p", "default.qcow2", "default.raw")]
    [DataRow("compare", "-f", "qcow2", "-F", "raw", "default.qcow2", "default.raw")]
    [DataRow("compare", "-f", "raw", "default.qcow2", "default.raw")] // header bytes differ at 0
    [DataRow("compare", "-F", "qcow2", "default.qcow2", "default.raw")] // wrong format: exit 2
    [DataRow("compare", "default.qcow2", "nonexistent.qcow2")] // exit 2
    [DataRow("compare", "nonexistent.qcow2", "default.qcow2")]
    [DataRow("compare", "default.qcow2")] // missing argument
    [DataRow("compare", "-T", "bogus", "default.qcow2", "default.raw")]
    [DataRow("compare", "odd.raw", "zero-length.raw")]
    [DataRow("compare", "datafile.qcow2", "default.qcow2")]
    public void CompareMatchesQemu(params string[] args) => Same(args);
}
