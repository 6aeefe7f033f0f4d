using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Dmg;

/// <summary>
/// The read-only contract of the dmg driver on test-made images qemu-img reads (raw, zero, ignore and zlib chunks;
/// the XML property list and the resource fork forms): convert -O raw gives qemu-img's bytes, info and map print what
/// qemu-img prints, and the commands qemu refuses on a read-only format are refused alike.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class DmgReadOracleTests
{
    [TestMethod]
    [DataRow("zlib", false)]
    [DataRow("raw", false)]
    [DataRow("mixed", false)]
    [DataRow("mixed", true)]
    [DataRow("zlib-no-zero-chunks", true)]
    public void ConvertInfoAndMapMatchQemu(string kind, bool resourceFork)
    {
        using var d = new OracleDirs();
        byte[] disk = DmgOracleImages.SourceDisk();
        uint[] mixed = [DmgBuilder.Raw, DmgBuilder.Zlib, DmgBuilder.Ignore, DmgBuilder.Zlib];
        DmgOracleImages.Build(d["a.dmg"], disk, i => kind switch
        {
            "raw" => DmgBuilder.Raw,
            "mixed" => mixed[i % mixed.Length],
            _ => DmgBuilder.Zlib,
        }, resourceFork, zeroChunks: kind != "zlib-no-zero-chunks");

        DmgOracleImages.SameAsQemu(d, "convert", "-O", "raw", "../a.dmg", "out.raw");
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"convert of {kind}");
        if (kind != "mixed") // ignore chunks read as zeros whatever they cover
            CollectionAssert.AreEqual(disk, File.ReadAllBytes(Path.Combine(d.T, "out.raw")), "the disk written");
        DmgOracleImages.SameAsQemu(d, "info", "../a.dmg");
        DmgOracleImages.SameAsQemu(d, "info", "-f", "dmg", "--output=json", "../a.dmg");
        DmgOracleImages.SameAsQemu(d, "map", "--output=json", "../a.dmg");
        DmgOracleImages.SameAsQemu(d, "compare", "-f", "dmg", "-F", "raw", "../a.dmg", "out.raw");
    }

    /// <summary>A DMG is never opened for writing, checked or resized; convert into dmg is refused (no create).</summary>
    [TestMethod]
    public void WritingCommandsAreRefusedLikeQemu()
    {
        using var d = new OracleDirs();
        DmgOracleImages.Build(d["a.dmg"], DmgOracleImages.SourceDisk(), _ => DmgBuilder.Zlib);
        DmgOracleImages.SameAsQemu(d, "check", "../a.dmg");
        DmgOracleImages.SameAsQemu(d, "resize", "-f", "dmg", "../a.dmg", "4M");
        DmgOracleImages.SameAsQemu(d, "snapshot", "-l", "../a.dmg");
        DmgOracleImages.SameAsQemu(d, "create", "-f", "dmg", "new.dmg", "1M");
        DmgOracleImages.SameAsQemu(d, "convert", "-O", "dmg", "../a.dmg", "new.dmg");
    }

    /// <summary>Probing is by the name alone: the same file called .img is raw, and a .dmg of any content is dmg.</summary>
    [TestMethod]
    public void ProbingGoesByTheFileName()
    {
        using var d = new OracleDirs();
        DmgOracleImages.Build(d["a.dmg"], DmgOracleImages.SourceDisk(), _ => DmgBuilder.Zlib);
        File.Copy(d["a.dmg"], d["a.img"]);
        File.WriteAllBytes(d["junk.dmg"], new byte[4096]);
        DmgOracleImages.SameAsQemu(d, "info", "--output=json", "../a.img");
        DmgOracleImages.SameAsQemu(d, "info", "../junk.dmg");
    }
}
