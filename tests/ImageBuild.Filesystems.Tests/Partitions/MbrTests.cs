using ImageBuild.Filesystems.Partitions;
using ImageBuild.Tests.Shared;
using static ImageBuild.Filesystems.Tests.Partitions.PartitionTestDisk;

namespace ImageBuild.Filesystems.Tests.Partitions;

[TestClass]
public sealed class MbrTests
{
    [TestMethod]
    public void SfdiskDumpShowsOurTable()
    {
        using var t = new TempDir();
        var l = PartitionTable.Plan(
            [
                new() { Type = "esp", Size = 32 * MiB, Bootable = true },
                new() { Type = "swap", Percent = 25 },
                new() { Type = "linux" },
                new() { Type = "0x8e", Size = 3 * MiB + 1 },
            ],
            new PartitionLayoutOptions { Table = TableType.Mbr, DiskSize = 256 * MiB, Seed = "mbr" });
        string disk = Write(t["disk.raw"], l);
        string dump = ExternalTools.RunOk("sfdisk", t.Path, "--dump", disk).StdOut;
        Span<byte> g = stackalloc byte[16];
        l.DiskGuid.TryWriteBytes(g);
        StringAssert.Contains(dump, "label: dos");
        StringAssert.Contains(dump, $"label-id: 0x{System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(g):x8}");
        // usable: 2048 … 524287 (522240 sectors); 25 % = 130560 sectors, rounded down to MiB: 129024; the 3 MiB + 1 byte
        // one takes 6145 sectors; the rest is what remains, rounded down to MiB because it is not last.
        StringAssert.Contains(dump, "disk.raw1 : start=        2048, size=       65536, type=ef, bootable");
        StringAssert.Contains(dump, "disk.raw2 : start=       67584, size=      129024, type=82");
        StringAssert.Contains(dump, "disk.raw3 : start=      196608, size=      319488, type=83");
        StringAssert.Contains(dump, "disk.raw4 : start=      516096, size=        6145, type=8e");
        Assert.AreEqual(516096L * 512, l.Partitions[3].Offset);
    }

    [TestMethod]
    public void ChsFieldsAreWhatSfdiskWrites()
    {
        using var t = new TempDir();
        PartitionSpec[] specs = [new() { Type = "linux", Size = 8 * MiB }, new() { Type = "linux" }];
        var l = PartitionTable.Plan(specs, new PartitionLayoutOptions { Table = TableType.Mbr, DiskSize = 9 * 1024 * MiB, Seed = "chs" });
        string ours = Write(t["ours.raw"], l);
        string theirs = t["theirs.raw"];
        using (var f = new FileStream(theirs, FileMode.CreateNew)) f.SetLength(l.DiskSize);
        File.WriteAllText(t["script"], $"label: dos\nlabel-id: 0x{Signature(ours):x8}\n" + string.Concat(l.Partitions.Select(p => $"start={p.Offset / 512}, size={p.Size / 512}, type=83\n")));
        ExternalTools.Find("sfdisk");
        ExternalTools.RunOk("sh", t.Path, "-c", "sfdisk --no-reread --no-tell-kernel -q theirs.raw < script");
        CollectionAssert.AreEqual(Sector0(theirs)[440..512], Sector0(ours)[440..512], "the partition records, byte for byte");
    }

    private static uint Signature(string path) => BitConverter.ToUInt32(Sector0(path), 440);

    private static byte[] Sector0(string path)
    {
        byte[] b = new byte[512];
        using var f = File.OpenRead(path);
        f.ReadExactly(b);
        return b;
    }
}
