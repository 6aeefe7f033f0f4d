namespace ImageBuild.Cli.Tests.Oracle;

public sealed partial class InspectOracleTests
{
    [TestMethod]
    [DataRow("measure", "--size", "1G", "-O", "qcow2")]
    [DataRow("measure", "--size", "1G", "-O", "qcow2", "--output=json")]
    [DataRow("measure", "--size", "1G")]
    [DataRow("measure", "--size", "1000", "-O", "raw", "--output=json")]
    [DataRow("measure", "--size", "100G", "-O", "qcow2", "-o", "cluster_size=2M,extended_l2=on")]
    [DataRow("measure", "--size", "1T", "-O", "qcow2", "-o", "refcount_bits=64")]
    [DataRow("measure", "--size", "1G", "-O", "qcow2", "-o", "preallocation=full")]
    [DataRow("measure", "--size", "1G", "-O", "qcow2", "-o", "preallocation=metadata")]
    [DataRow("measure", "--size", "3T", "-O", "qcow2", "-o", "cluster_size=512,refcount_bits=1")]
    [DataRow("measure", "--size", "1000", "-O", "qcow2", "-o", "cluster_size=512")]
    [DataRow("measure", "--size", "1G", "-O", "qcow2", "-o", "compat=0.10")]
    [DataRow("measure", "-O", "qcow2", "default.qcow2")]
    [DataRow("measure", "-O", "qcow2", "--output=json", "default.qcow2")]
    [DataRow("measure", "-O", "qcow2", "-o", "cluster_size=4k", "default.raw")]
    [DataRow("measure", "-O", "qcow2", "top.qcow2")]
    [DataRow("measure", "-O", "qcow2", "-o", "backing_file=base.qcow2", "top.qcow2")]
    [DataRow("measure", "-O", "qcow2", "comp.qcow2")]
    [DataRow("measure", "-O", "qcow2", "--output=json", "snap.qcow2")] // bitmaps size
    [DataRow("measure", "-O", "qcow2", "-o", "compat=0.10", "snap.qcow2")]
    [DataRow("measure", "-O", "raw", "odd.raw")]
    [DataRow("measure", "-O", "raw", "default.qcow2")]
    [DataRow("measure", "-f", "raw", "-O", "qcow2", "default.qcow2")]
    [DataRow("measure")]
    [DataRow("measure", "--size", "1G", "default.qcow2")]
    [DataRow("measure", "default.qcow2", "top.qcow2")]
    [DataRow("measure", "--size", "1G", "-O", "qcow2", "-o", "cluster_size=3k")]
    [DataRow("measure", "--size", "1G", "-O", "qcow2", "-o", "foo=bar")]
    [DataRow("measure", "--size", "1E", "-O", "qcow2")]
    [DataRow("measure", "--size", "12Q", "-O", "qcow2")]
    [DataRow("measure", "--size", "1G", "-O", "nosuch")]
    [DataRow("measure", "-O", "qcow2", "nonexistent.qcow2")]
    public void MeasureMatchesQemu(params string[] args) => Same(args);
}
