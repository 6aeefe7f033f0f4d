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
    [DataRow("prealloc.qcow2")]
    [DataRow("small-clusters.qcow2")]
    [DataRow("comp.qcow2")] // human map refuses compressed clusters
    [DataRow("default.raw")]
    [DataRow("odd.raw")]
    [DataRow("zero-length.raw")]
    [DataRow("top.qcow2")]
    [DataRow("mid.qcow2")]
    [DataRow("sub/t.qcow2")]
    [DataRow("snap.qcow2")]
    public void MapMatchesQemu(string image)
    {
        Same("map", image);
        Same("map", "--output=json", image);
    }

    [TestMethod]
    [DataRow("map", "--output=json", "--start-offset=1M", "--max-length=3M", "top.qcow2")]
    [DataRow("map", "--start-offset=512k", "top.qcow2")]
    [DataRow("map", "--max-length=5000", "--output=json", "default.qcow2")]
    [DataRow("map", "--start-offset=100M", "--output=json", "default.qcow2")]
    [DataRow("map", "-f", "raw", "--output=json", "default.qcow2")]
    [DataRow("map", "nonexistent.qcow2")]
    [DataRow("map", "--output=json", "no-fmt-ext.qcow2")]
    public void MapOptionsMatchQemu(params string[] args) => Same(args);
}
