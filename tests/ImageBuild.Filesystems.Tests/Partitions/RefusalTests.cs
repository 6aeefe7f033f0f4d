using ImageBuild.Filesystems.Partitions;
using static ImageBuild.Filesystems.Tests.Partitions.PartitionTestDisk;

namespace ImageBuild.Filesystems.Tests.Partitions;

[TestClass]
public sealed class RefusalTests
{
    private static string Refused(TableType table, long diskSize, params PartitionSpec[] specs)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            PartitionTable.Plan(specs, new PartitionLayoutOptions { Table = table, DiskSize = diskSize, Seed = "s" }));
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
        return e.Message;
    }

    [TestMethod]
    public void TooManyPartitions()
    {
        StringAssert.Contains(Refused(TableType.Mbr, 64 * MiB, [.. Enumerable.Repeat(new PartitionSpec { Type = "linux", Size = MiB }, 5)]), "at most 4");
        StringAssert.Contains(Refused(TableType.Gpt, 512 * MiB, [.. Enumerable.Repeat(new PartitionSpec { Type = "linux", Size = MiB }, 129)]), "at most 128");
    }

    [TestMethod]
    public void PartitionsLargerThanTheDisk()
    {
        StringAssert.Contains(Refused(TableType.Gpt, 64 * MiB, new PartitionSpec { Type = "esp", Size = 64 * MiB }), "67108864-byte disk");
        StringAssert.Contains(Refused(TableType.Gpt, 64 * MiB, new PartitionSpec { Type = "esp", Size = 63 * MiB }, new PartitionSpec { Type = "linux" }), "partition 2 (linux): no space");
        // exactly what fits: 1 MiB .. last usable sector for the rest
        var l = PartitionTable.Plan([new() { Type = "esp" }], new PartitionLayoutOptions { Table = TableType.Gpt, DiskSize = 64 * MiB, Seed = "s" });
        Assert.AreEqual(64 * MiB - MiB - 33 * 512, l.Partitions[0].Size);
    }

    [TestMethod]
    public void TwoRestPartitions() =>
        StringAssert.Contains(Refused(TableType.Gpt, 64 * MiB, new PartitionSpec { Type = "esp" }, new PartitionSpec { Type = "linux" }), "more than one partition without Size or Percent");

    [TestMethod]
    public void UnknownTypes()
    {
        StringAssert.Contains(Refused(TableType.Gpt, 64 * MiB, new PartitionSpec { Type = "linux-root-vax", Size = MiB }), "partition 1 (linux-root-vax): unknown GPT partition type");
        StringAssert.Contains(Refused(TableType.Mbr, 64 * MiB, new PartitionSpec { Type = "bios-boot", Size = MiB }), "unknown MBR partition type 'bios-boot'");
        StringAssert.Contains(Refused(TableType.Mbr, 64 * MiB, new PartitionSpec { Type = "0FC63DAF-8483-4772-8E79-3D69D8477DE4", Size = MiB }), "unknown MBR");
    }

    [TestMethod]
    public void OtherCallerMistakes()
    {
        StringAssert.Contains(Refused(TableType.Gpt, 64 * MiB, new PartitionSpec { Type = "esp", Size = MiB, Percent = 10 }), "not both");
        StringAssert.Contains(Refused(TableType.Gpt, 64 * MiB, new PartitionSpec { Type = "esp", Name = new string('n', 37) }), "longer than 36");
        StringAssert.Contains(Refused(TableType.Mbr, 64 * MiB, new PartitionSpec { Type = "esp", Name = "x" }), "no name");
        StringAssert.Contains(Refused(TableType.Gpt, 64 * MiB + 1, new PartitionSpec { Type = "esp" }), "multiple of 512");
        StringAssert.Contains(Refused(TableType.Gpt, 64 * MiB, new PartitionSpec { Type = "esp", Percent = 120 }), "not in (0, 100]");
    }

    [TestMethod]
    public void PercentAndAlignment()
    {
        var l = PartitionTable.Plan(
            [new() { Type = "esp", Percent = 50 }, new() { Type = "linux", Size = 1000 }, new() { Type = "swap", Percent = 10 }],
            new PartitionLayoutOptions { Table = TableType.Gpt, DiskSize = 100 * MiB, Seed = "s", Alignment = 4 * MiB });
        // usable: 4 MiB … 100 MiB − 17408 bytes; 50 % of that is 47.99 MiB, rounded down to 4 MiB: 44 MiB
        Assert.AreEqual(4 * MiB, l.Partitions[0].Offset);
        Assert.AreEqual(44 * MiB, l.Partitions[0].Size);
        Assert.AreEqual(48 * MiB, l.Partitions[1].Offset);
        Assert.AreEqual(1024, l.Partitions[1].Size, "rounded up to a sector");
        Assert.AreEqual(52 * MiB, l.Partitions[2].Offset);
        Assert.AreEqual(8 * MiB, l.Partitions[2].Size);
    }
}
