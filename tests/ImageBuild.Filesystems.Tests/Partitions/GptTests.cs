using System.Text.Json;
using ImageBuild.Filesystems.Partitions;
using ImageBuild.Tests.Shared;
using static ImageBuild.Filesystems.Tests.Partitions.PartitionTestDisk;

namespace ImageBuild.Filesystems.Tests.Partitions;

[TestClass]
public sealed class GptTests
{
    private static readonly PartitionSpec[] Specs =
    [
        new() { Type = "esp", Name = "ESP", Size = 100 * MiB },
        new() { Type = "linux-root-x86-64", Name = "root-x86-64" },
        new() { Type = "swap", Name = "swap", Size = 64 * MiB, Attributes = 1UL << 63 },
    ];

    private static PartitionLayout Plan(string seed = "step-1") =>
        PartitionTable.Plan(Specs, new PartitionLayoutOptions { Table = TableType.Gpt, DiskSize = 1024 * MiB, Seed = seed });

    [TestMethod]
    public void PlansAlignedPartitionsWithTheRestInTheMiddle()
    {
        var l = Plan();
        Assert.AreEqual(3, l.Partitions.Count);
        Assert.AreEqual(1 * MiB, l.Partitions[0].Offset);
        Assert.AreEqual(100 * MiB, l.Partitions[0].Size);
        Assert.AreEqual(101 * MiB, l.Partitions[1].Offset);
        Assert.AreEqual(1024 * MiB - 101 * MiB - 64 * MiB - 1 * MiB, l.Partitions[1].Size, "the rest, a whole number of MiB, leaving room for swap and the backup GPT");
        Assert.AreEqual(959 * MiB, l.Partitions[2].Offset);
        Assert.IsTrue(l.Partitions.All(p => p.Offset % MiB == 0));
        Assert.AreEqual(new Guid("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"), l.Partitions[1].TypeGuid);
    }

    [TestMethod]
    public void SgdiskAndSfdiskReadWhatWeWrote()
    {
        using var t = new TempDir();
        var l = Plan();
        string disk = Write(t["disk.raw"], l);

        string verify = ExternalTools.RunOk("sgdisk", t.Path, "-v", disk).StdOut;
        StringAssert.Contains(verify, "No problems found");

        string print = ExternalTools.RunOk("sgdisk", t.Path, "-p", disk).StdOut;
        StringAssert.Contains(print, "Disk identifier (GUID): " + l.DiskGuid.ToString().ToUpperInvariant());
        StringAssert.Contains(print, "First usable sector is 34, last usable sector is 2097118");
        StringAssert.Contains(print, "EF00  ESP");
        StringAssert.Contains(print, "8304  root-x86-64");
        StringAssert.Contains(print, "8200  swap");

        using var json = JsonDocument.Parse(ExternalTools.RunOk("sfdisk", t.Path, "--json", disk).StdOut);
        var table = json.RootElement.GetProperty("partitiontable");
        Assert.AreEqual("gpt", table.GetProperty("label").GetString());
        Assert.AreEqual(l.DiskGuid.ToString().ToUpperInvariant(), table.GetProperty("id").GetString());
        Assert.AreEqual(34, table.GetProperty("firstlba").GetInt64());
        var parts = table.GetProperty("partitions").EnumerateArray().ToArray();
        Assert.AreEqual(3, parts.Length);
        for (int i = 0; i < 3; i++)
        {
            var p = l.Partitions[i];
            Assert.AreEqual(p.Offset / 512, parts[i].GetProperty("start").GetInt64());
            Assert.AreEqual(p.Size / 512, parts[i].GetProperty("size").GetInt64());
            Assert.AreEqual(p.TypeGuid.ToString().ToUpperInvariant(), parts[i].GetProperty("type").GetString());
            Assert.AreEqual(p.PartitionGuid.ToString().ToUpperInvariant(), parts[i].GetProperty("uuid").GetString());
            Assert.AreEqual(p.Spec.Name, parts[i].GetProperty("name").GetString());
        }
        Assert.AreEqual("GUID:63", parts[2].GetProperty("attrs").GetString());

        string dump = ExternalTools.RunOk("sfdisk", t.Path, "--dump", disk).StdOut;
        StringAssert.Contains(dump, $"start=        2048, size=      204800, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid={l.Partitions[0].PartitionGuid.ToString().ToUpperInvariant()}, name=\"ESP\"");
    }

    [TestMethod]
    public void WritesOnlyTheTableSectorsAndQemuImgSeesTheSize()
    {
        using var t = new TempDir();
        string path = t["disk.raw"];
        var l = Plan();
        using (var disk = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            disk.SetLength(l.DiskSize);
            byte[] marker = Enumerable.Repeat((byte)0x5A, 512).ToArray();
            foreach (long at in new[] { 34 * 512L, l.DiskSize - 34 * 512 })
                RandomAccess.Write(disk.SafeFileHandle, marker, at);
            PartitionTable.Write(disk, l);
            byte[] back = new byte[512];
            foreach (long at in new[] { 34 * 512L, l.DiskSize - 34 * 512 })
            {
                RandomAccess.Read(disk.SafeFileHandle, back, at);
                Assert.IsTrue(back.All(b => b == 0x5A), $"sector at {at} was touched");
            }
            Assert.AreEqual(l.DiskSize, disk.Length);
        }
        string info = QemuOracle.ImgOk("info", "--output=json", path);
        using var json = JsonDocument.Parse(info);
        Assert.AreEqual(l.DiskSize, json.RootElement.GetProperty("virtual-size").GetInt64());
        Assert.AreEqual("raw", json.RootElement.GetProperty("format").GetString());
    }

    [TestMethod]
    public void GuidsAreReproducibleFromTheSeed()
    {
        var a = Plan("step-1");
        var b = Plan("step-1");
        var c = Plan("step-2");
        Assert.AreEqual(a.DiskGuid, b.DiskGuid);
        CollectionAssert.AreEqual(a.Partitions.Select(p => p.PartitionGuid).ToList(), b.Partitions.Select(p => p.PartitionGuid).ToList());
        Assert.AreNotEqual(a.DiskGuid, c.DiskGuid);
        for (int i = 0; i < 3; i++) Assert.AreNotEqual(a.Partitions[i].PartitionGuid, c.Partitions[i].PartitionGuid);
        Assert.AreEqual(4, a.DiskGuid.Version);
        Assert.AreEqual(3, a.Partitions.Select(p => p.PartitionGuid).Distinct().Count());

        var small = new PartitionLayoutOptions { Table = TableType.Gpt, DiskSize = 64 * MiB, Seed = "step-1" };
        PartitionSpec[] specs = [new() { Type = "esp", Size = 8 * MiB }, new() { Type = "linux" }];
        using var t1 = new TempDir();
        string one = Sha256(Write(t1["a.raw"], PartitionTable.Plan(specs, small)));
        string two = Sha256(Write(t1["b.raw"], PartitionTable.Plan(specs, small)));
        Assert.AreEqual(one, two, "same plan, same bytes");
        Assert.AreNotEqual(one, Sha256(Write(t1["c.raw"], PartitionTable.Plan(specs, small with { Seed = "step-2" }))));
    }

    private static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(f));
    }

    [TestMethod]
    public void GuidsMatchSystemdRepartForTheSameSeed()
    {
        // Captured from systemd-repart 252 --seed=0f4e6d2c-1b7a-4c39-9e52-8a1d3b6c7e90 with esp, swap, swap, root-x86-64.
        var l = PartitionTable.Plan(
            [
                new() { Type = "esp", Size = 100 * MiB }, new() { Type = "swap", Size = 64 * MiB },
                new() { Type = "swap", Size = 64 * MiB }, new() { Type = "root-x86-64" },
            ],
            new PartitionLayoutOptions { Table = TableType.Gpt, DiskSize = 1024 * MiB, Seed = "0f4e6d2c-1b7a-4c39-9e52-8a1d3b6c7e90" });
        Assert.AreEqual(new Guid("C1893EF4-29CB-4061-97B5-3EE7325C1688"), l.DiskGuid);
        Assert.AreEqual(new Guid("930FC776-DB19-499C-8E7B-DDE78B6FF1EC"), l.Partitions[0].PartitionGuid);
        Assert.AreEqual(new Guid("E15A88F5-3CEA-41A6-BCA4-7C81D145F3E6"), l.Partitions[1].PartitionGuid);
        Assert.AreEqual(new Guid("B6B40E39-54D8-407D-BB0A-31AC9C9C9C4D"), l.Partitions[2].PartitionGuid);
        Assert.AreEqual(new Guid("C205084E-98F5-4E01-8A26-24D700F39AA0"), l.Partitions[3].PartitionGuid);
        Assert.AreEqual(2048L * 512, l.Partitions[0].Offset);
        Assert.AreEqual(468992L * 512, l.Partitions[3].Offset);
    }

    [TestMethod]
    public void TypeNamesResolveToTheGuidsSfdiskKnows()
    {
        string known = ExternalTools.RunOk("sfdisk", Path.GetTempPath(), "--label", "gpt", "-T").StdOut;
        foreach (var (name, label) in new[]
        {
            ("esp", "EFI System"), ("linux", "Linux filesystem"), ("swap", "Linux swap"), ("linux-home", "Linux home"),
            ("linux-srv", "Linux server data"), ("linux-var", "Linux variable data"), ("linux-root-x86-64", "Linux root (x86-64)"),
            ("linux-root-arm64", "Linux root (ARM-64)"), ("linux-usr-x86-64", "Linux /usr (x86-64)"), ("linux-usr-arm64", "Linux /usr (ARM-64)"),
            ("msft-basic", "Microsoft basic data"), ("bios-boot", "BIOS boot"), ("xbootldr", "Linux extended boot"),
            ("linux-lvm", "Linux LVM"), ("linux-raid", "Linux RAID"), ("linux-usr-riscv64", "Linux /usr (RISC-V-64)"),
        })
        {
            Assert.IsTrue(PartitionTypes.TryResolve(name, TableType.Gpt, out var guid, out _), name);
            StringAssert.Contains(known, $"{guid.ToString().ToUpperInvariant()}  {label}", name);
        }
        Assert.IsTrue(PartitionTypes.Names.Contains("linux-root-x86-64"));
        Assert.IsTrue(PartitionTypes.TryResolve("0FC63DAF-8483-4772-8E79-3D69D8477DE4", TableType.Gpt, out var g, out _));
        Assert.AreEqual(new Guid("0FC63DAF-8483-4772-8E79-3D69D8477DE4"), g);
        Assert.IsFalse(PartitionTypes.TryResolve("bios-boot", TableType.Mbr, out _, out _));
        Assert.IsFalse(PartitionTypes.TryResolve("no-such-type", TableType.Gpt, out _, out _));
    }
}
