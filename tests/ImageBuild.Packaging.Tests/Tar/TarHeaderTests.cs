using ImageBuild.Packaging.Tar;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Packaging.Tests.Tar;

/// <summary>The header block on its own: the base-256 size GNU tar reads in both formats, and the format rules.</summary>
[TestClass]
public sealed class TarHeaderTests
{
    [TestMethod]
    [DataRow(TarFormat.Ustar)]
    [DataRow(TarFormat.Gnu)]
    public void ASizeFrom8GiBIsBase256AndGnuTarReadsIt(TarFormat format)
    {
        using var s = new TarScratch();
        long size = (8L << 30) + 513;
        byte[] block = new byte[TarHeader.BlockSize];
        new TarHeader { NameBytes = "disk.vmdk"u8.ToArray(), TypeFlag = TarHeader.RegularType, Size = size, Format = format, MtimeSeconds = TarScratch.Mtime }
            .WriteTo(block);
        CollectionAssert.AreEqual(new byte[] { 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0x02, 0x01 }, block[124..136]);
        File.WriteAllBytes(s.PathOf("head.tar"), block); // the data is not there: tar lists the member, then reports the early end
        var r = QemuOracle.Run(ExternalTools.Find("tar"), ["--utc", "--full-time", "--numeric-owner", "-tvf", "head.tar"], s.Dir);
        Assert.AreEqual($"-rw-r--r-- 0/0      {size} 2023-11-14 22:13:20 disk.vmdk\n", r.StdOut, r.StdErr);
    }

    [TestMethod]
    public void EachFormatRefusesTheOthersFields()
    {
        byte[] block = new byte[TarHeader.BlockSize];
        Assert.ThrowsExactly<ArgumentException>(() => new TarHeader
        {
            NameBytes = "n"u8.ToArray(), PrefixBytes = "p"u8.ToArray(), TypeFlag = TarHeader.RegularType, Size = 0, Format = TarFormat.Gnu,
        }.WriteTo(block));
        Assert.ThrowsExactly<ArgumentException>(() => new TarHeader
        {
            NameBytes = "n"u8.ToArray(), TypeFlag = TarHeader.GnuSparseType, Size = 0, SparseEntries = [new(0, 0)],
        }.WriteTo(block));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TarHeader
        {
            NameBytes = "n"u8.ToArray(), TypeFlag = TarHeader.RegularType, Size = 0, MtimeSeconds = TarHeader.MaxOctalTime + 1,
        }.WriteTo(block));
    }

    [TestMethod]
    public void ParseReadsWhatWriteToWrote()
    {
        byte[] block = new byte[TarHeader.BlockSize];
        new TarHeader { NameBytes = "name"u8.ToArray(), PrefixBytes = "some/dir"u8.ToArray(), TypeFlag = TarHeader.RegularType, Size = 12345 }.WriteTo(block);
        TarHeader parsed = TarHeader.Parse(block, "x.tar");
        Assert.AreEqual("some/dir/name", parsed.NameForDisplay);
        Assert.AreEqual(12345L, parsed.Size);
        block[0] ^= 1;
        Assert.AreEqual("x.tar: a tar header has a bad checksum", Assert.ThrowsExactly<InvalidDataException>(() => TarHeader.Parse(block, "x.tar")).Message);
    }
}
