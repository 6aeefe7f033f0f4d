using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Qcow2;

/// <summary>
/// resize --preallocation=full|falloc of a qcow2 (issue 14 item 11b): qemu's truncate path (a new refcount table at
/// the old end of the file, the data clusters after it, then the L2 tables in the first free clusters) gives a file
/// byte-identical to qemu-img's, which qemu-img check and compare accept.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class Qcow2ResizePreallocationOracleTests
{
    [TestMethod]
    [DataRow("", "1M", "", "+10M", "full")]
    [DataRow("", "1G", "", "+10M", "full")] // the L1 table grows first: one more cluster than before the fix
    [DataRow("", "64M", "write 0 1M", "+10M", "full")]
    [DataRow("", "0", "", "+10M", "falloc")]
    [DataRow("cluster_size=4k", "1M", "", "+10M", "falloc")]
    [DataRow("cluster_size=512", "1M", "", "+40M", "full")] // more refcount blocks
    [DataRow("preallocation=metadata", "1M", "", "+10M", "full")]
    [DataRow("refcount_bits=1", "1M", "", "+10M", "full")]
    [DataRow("extended_l2=on", "1M", "write 0 1M", "+3M", "full")]
    [DataRow("", "1000k", "write -P 7 0 1000k", "+3M", "full")] // a partial last cluster keeps its data
    public void ResizeWithPreallocationIsByteIdenticalToQemu(string createOptions, string size, string io, string grow, string prealloc)
    {
        using var d = new OracleDirs();
        string[] create = createOptions == ""
            ? ["create", "-q", "-f", "qcow2", "img.qcow2", size]
            : ["create", "-q", "-f", "qcow2", "-o", createOptions, "img.qcow2", size];
        d.QemuOkInBoth(create);
        if (io != "")
        {
            QemuOracle.IoOk("-c", io, Path.Combine(d.Q, "img.qcow2"));
            QemuOracle.IoOk("-c", io, Path.Combine(d.T, "img.qcow2"));
        }
        string[] args = ["resize", $"--preallocation={prealloc}", "img.qcow2", grow];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));

        string q = Path.Combine(d.Q, "img.qcow2"), t = Path.Combine(d.T, "img.qcow2");
        Assert.AreEqual(new FileInfo(q).Length, new FileInfo(t).Length, "file length");
        byte[] qb = File.ReadAllBytes(q), tb = File.ReadAllBytes(t);
        int diff = qb.AsSpan().CommonPrefixLength(tb);
        Assert.AreEqual(qb.Length, diff, $"the files differ from offset 0x{diff:x}");
        ToolUnderTest.QemuOk(d.Root, "check", "-q", t);
        ToolUnderTest.QemuOk(d.Root, "compare", "-q", q, t);
    }
}
