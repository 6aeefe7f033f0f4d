using System.Buffers.Binary;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// The block layer's duties that no single format owns: metadata overlap checks on data writes, the locks on every
/// file of an image (a qcow2 external data file), and refusing formats the engine has no driver for by name.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class BlockLayerOracleTests
{
    /// <summary>
    /// An L2 entry that points at the L1 table: writing guest cluster 0 would overwrite L1. qemu-img refuses the write,
    /// marks the image corrupt and exits 1; so must we, leaving the same bytes.
    /// </summary>
    [TestMethod]
    public void ConvertIntoAnImageWhoseL2EntryPointsAtTheL1TableIsRefusedLikeQemu()
    {
        using var d = new OracleDirs();
        foreach (string dir in new[] { d.Q, d.T })
        {
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "qcow2", "img.qcow2", "1M");
            ToolUnderTest.QemuIo(dir, "qcow2", "img.qcow2", "write -P 1 0 64k");
            PointFirstL2EntryAtL1(Path.Combine(dir, "img.qcow2"));
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "raw", "src.raw", "1M");
            ToolUnderTest.QemuIo(dir, "raw", "src.raw", "write -P 7 0 64k");
        }
        string[] args = ["convert", "-n", "-O", "qcow2", "src.raw", "img.qcow2"];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        Assert.AreEqual(1, expected.ExitCode, expected.ToString());
        OracleAssert.SameOutcome(expected, actual);
        StringAssert.Contains(actual.NormalizedStdErr, "overlaps with active L1 table", actual.ToString());
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(d.Q, "img.qcow2")), File.ReadAllBytes(Path.Combine(d.T, "img.qcow2")),
            "the image is left as qemu-img leaves it: corrupt bit set, L1 table intact");
    }

    private static void PointFirstL2EntryAtL1(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        Span<byte> b = stackalloc byte[8];
        long l1 = (long)ReadU64(fs, 40, b);
        long l2 = (long)(ReadU64(fs, l1, b) & 0x00FF_FFFF_FFFF_FE00UL);
        BinaryPrimitives.WriteUInt64BigEndian(b, (1UL << 63) | (ulong)l1);
        fs.Position = l2;
        fs.Write(b);
    }

    private static ulong ReadU64(FileStream fs, long offset, Span<byte> b)
    {
        fs.Position = offset;
        fs.ReadExactly(b);
        return BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    /// <summary>
    /// Two qcow2 images share one external data file, and qemu-io holds the first read-write: qemu-img refuses to open
    /// the second, for writing or for reading, because of the data file's locks (it names the data file). So must we,
    /// with the same message, leaving the data file untouched.
    /// </summary>
    [TestMethod]
    [DataRow("convert", "-n", "-O", "qcow2", "src.raw", "b.qcow2")]
    [DataRow("convert", "-O", "raw", "b.qcow2", "out.raw")]
    [DataRow("map", "b.qcow2")]
    public void AnExternalDataFileInUseElsewhereIsLockedLikeQemu(params string[] args)
    {
        using var d = new OracleDirs();
        foreach (string dir in new[] { d.Q, d.T })
        {
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "qcow2", "-o", "data_file=data.raw", "a.qcow2", "1M");
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "qcow2", "-o", "data_file=data.raw", "b.qcow2", "1M");
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "raw", "src.raw", "1M");
            ToolUnderTest.QemuIo(dir, "raw", "src.raw", "write -P 7 0 64k");
        }
        TimedResult expected, actual;
        using (new QemuIoHolder("qcow2", Path.Combine(d.Q, "a.qcow2"), Path.Combine(d.Q, "data.raw")))
            expected = ToolUnderTest.Qemu(d.Q, args);
        byte[] before = File.ReadAllBytes(Path.Combine(d.T, "data.raw"));
        using (new QemuIoHolder("qcow2", Path.Combine(d.T, "a.qcow2"), Path.Combine(d.T, "data.raw")))
            actual = ToolUnderTest.Run(d.T, args);
        Assert.AreEqual(1, expected.ExitCode, expected.ToString());
        OracleAssert.SameOutcome(expected, actual);
        StringAssert.Contains(actual.NormalizedStdErr, "[data.raw]", actual.ToString());
        CollectionAssert.AreEqual(before, File.ReadAllBytes(Path.Combine(d.T, "data.raw")), "the data file in use was not written");

        // once the holder is gone the same command works
        var after = ToolUnderTest.Run(d.T, args);
        Assert.AreEqual(0, after.ExitCode, after.ToString());
    }
}
