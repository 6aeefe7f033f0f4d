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
    [DataRow("top.qcow2")]
    [DataRow("snap.qcow2")]
    [DataRow("leak.qcow2")] // exit 3, "Leaked cluster" on stderr
    [DataRow("leak-tail.qcow2")] // leaked space past the last used cluster
    [DataRow("corrupt.qcow2")] // exit 2, "ERROR cluster ... refcount=0"
    [DataRow("dirty.qcow2")] // stale lazy refcounts read without repair
    [DataRow("default.raw")] // exit 63: no check for raw
    public void CheckMatchesQemu(string image)
    {
        Same("check", image);
        Same("check", "--output=json", image);
        Same("check", "-q", image);
    }

    [TestMethod]
    [DataRow("check", "-f", "qcow2", "default.raw")]
    [DataRow("check", "-f", "raw", "default.qcow2")]
    [DataRow("check", "nonexistent.qcow2")]
    [DataRow("check", "--output=xml", "default.qcow2")]
    [DataRow("check", "-r", "foo", "default.qcow2")]
    [DataRow("check", "-U", "--output=json", "leak.qcow2")]
    public void CheckEdgeCasesMatchQemu(params string[] args) => Same(args);
}
