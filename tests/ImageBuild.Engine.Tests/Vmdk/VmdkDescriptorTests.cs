using System.Text;
using ImageBuild.Engine;
using ImageBuild.Engine.Formats.Vmdk;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>The descriptor as qemu 7.2 reads it: strstr fields, sscanf extent lines, the CID area rules.</summary>
[TestClass]
public sealed class VmdkDescriptorTests
{
    private static VmdkDescriptor Of(string text) => VmdkDescriptor.FromBytes(Encoding.Latin1.GetBytes(text));

    [TestMethod]
    public void FieldsAreFoundAnywhereAndEndAtTheNextQuote()
    {
        Assert.AreEqual("twoGbMaxExtentFlat", Of("version=1\ncreateType=\"twoGbMaxExtentFlat\"\n").CreateType);
        // qemu skips exactly two characters after the name: a spaced `key = "value"` is read as " " up to the quote
        Assert.AreEqual(" ", Of("createType = \"vmfs\"\n").CreateType);
        // the first occurrence wins, even in a comment
        Assert.AreEqual("monolithicSparse", Of("# createType=\"monolithicSparse\"\ncreateType=\"vmfs\"\n").CreateType);
        Assert.IsNull(Of("createType=\"vmfs\n").CreateType, "unterminated");
        Assert.IsNull(Of("version=1\n").CreateType, "absent");
        Assert.IsNull(Of($"createType=\"{new string('x', 128)}\"").CreateType, "no room for the NUL in qemu's 128-byte buffer");
        Assert.AreEqual(127, Of($"createType=\"{new string('x', 127)}\"").CreateType!.Length);
    }

    [TestMethod]
    public void TextEndsAtTheFirstNul() =>
        Assert.AreEqual("version=1\n", Of("version=1\n\0createType=\"vmfs\"\n").Text);

    [TestMethod]
    public void ExtentLinesKeepOnlyReadWriteExtentsOfKnownKinds()
    {
        var lines = Of("RW 100 FLAT \"a.raw\" 7\r\nRW 50 ZERO\nRDONLY 10 FLAT \"b.raw\" 0\nNOACCESS 10 SPARSE \"c\"\n" +
                       "RW 0 SPARSE \"zero-size\"\nRW 20 SPARSE \"s.vmdk\"\nRW 30 VMFS \"v.raw\"\nRW 40 FOO \"f\"\n# RW 1 FLAT \"x\" 0\n").ExtentLines().ToList();
        CollectionAssert.AreEqual(new[] { "FLAT", "SPARSE", "VMFS" }, lines.Select(l => l.Type).ToArray());
        Assert.AreEqual(new VmdkExtentLine("RW", 100, "FLAT", "a.raw", 7), lines[0]);
        Assert.AreEqual(-1, lines[1].FlatOffsetSectors);
        Assert.AreEqual(0, lines[2].FlatOffsetSectors, "VMFS extents start at sector 0");
    }

    [TestMethod]
    public void FieldsOfAnExtentLineMayComeFromTheFollowingLines()
    {
        var lines = Of("RW\n2048\nFLAT \"f.raw\"\n0\n").ExtentLines().ToList();
        Assert.AreEqual(new VmdkExtentLine("RW", 2048, "FLAT", "f.raw", 0), lines[0]);
    }

    [TestMethod]
    public void ABlankLineBeforeAnExtentLineReadsItTwice()
    {
        // sscanf's first %s skips the blank line's newline and reads the next line: qemu opens that extent twice
        var lines = Of("createType=\"monolithicFlat\"\n\nRW 8 FLAT \"a.raw\" 0\n").ExtentLines().ToList();
        Assert.AreEqual(2, lines.Count);
        Assert.AreEqual(lines[0], lines[1]);
    }

    [TestMethod]
    [DataRow("RW 2048 FLAT \"f.raw\"\r\nRW 1 FLAT \"g\" 0\n", "Invalid extent line: RW 2048 FLAT \"f.raw\"\r")]
    [DataRow("RW 2048 FLAT \"f.raw\" -1\n", "Invalid extent line: RW 2048 FLAT \"f.raw\" -1")]
    [DataRow("RW 2048 VMFS \"f.raw\" 0\n", "Invalid extent line: RW 2048 VMFS \"f.raw\" 0")]
    [DataRow("RW 2048 SPARSE \"f.raw\" 3", "Invalid extent line: RW 2048 SPARSE \"f.raw\" 3")]
    public void MalformedExtentLinesAreQemusInvalidExtentLine(string text, string message)
    {
        var e = Assert.ThrowsExactly<ImageException>(() => Of(text).ExtentLines().ToList());
        Assert.AreEqual(message, e.Message);
    }

    [TestMethod]
    public void LongNamesAndNumbersAreCutAsSscanfCutsThem()
    {
        var line = Of($"RW 99999999999999999999 SPARSE \"{new string('n', 600)}\"\n").ExtentLines().Single();
        Assert.AreEqual(long.MaxValue, line.Sectors, "strtoll saturates");
        Assert.AreEqual(511, line.FileName.Length, "qemu's fname[512]");
        // a 511-character name of a FLAT extent leaves the quote unread: the offset is missing
        Assert.ThrowsExactly<ImageException>(() => Of($"RW 1 FLAT \"{new string('n', 600)}\" 0\n").ExtentLines().ToList());
    }

    [TestMethod]
    public void CidsAreTheHexNumbersAfterCidAndParentCid()
    {
        var area = Encoding.ASCII.GetBytes("# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=1a2B\n");
        Assert.AreEqual(0xfffffffeu, VmdkDescriptor.ReadCid(area, parent: false));
        Assert.AreEqual(0x1a2bu, VmdkDescriptor.ReadCid(area, parent: true));
        Assert.IsNull(VmdkDescriptor.ReadCid(Encoding.ASCII.GetBytes("CID=zz\n"), parent: false));
        Assert.IsNull(VmdkDescriptor.ReadCid(Encoding.ASCII.GetBytes("version=1\n"), parent: true));
        // without its own line, "CID" is first found inside "parentCID": qemu then takes the parent's value as the CID
        Assert.AreEqual(0xfffffffeu, VmdkDescriptor.ReadCid(Encoding.ASCII.GetBytes("parentCID=fffffffe\n"), parent: false));
    }

    [TestMethod]
    public void ParentHintIsTheQuotedName()
    {
        Assert.AreEqual("base.vmdk", VmdkDescriptor.ParentFileNameHint(Encoding.ASCII.GetBytes("parentFileNameHint=\"base.vmdk\"\n")));
        Assert.IsNull(VmdkDescriptor.ParentFileNameHint(Encoding.ASCII.GetBytes("CID=1\n")));
        var unterminated = Encoding.ASCII.GetBytes("parentFileNameHint=\"base.vmdk\n");
        Assert.IsNull(VmdkDescriptor.ParentFileNameHint(unterminated));
        Assert.IsTrue(VmdkDescriptor.HasUnreadableParentHint(unterminated));
        Assert.IsTrue(VmdkDescriptor.HasUnreadableParentHint(Encoding.ASCII.GetBytes($"parentFileNameHint=\"{new string('p', 4096)}\"")), "longer than PATH_MAX - 1");
    }

    [TestMethod]
    public void RewritingTheCidKeepsEverythingElseInPlace()
    {
        string before = "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n";
        var area = new byte[VmdkDescriptor.CidAreaSize];
        Encoding.ASCII.GetBytes(before).CopyTo(area, 0);
        Assert.IsTrue(VmdkDescriptor.RewriteCid(area, 0xab));
        string after = VmdkDescriptor.FromBytes(area).Text;
        Assert.AreEqual(before.Replace("CID=12345678", "CID=ab", StringComparison.Ordinal), after);
        Assert.IsFalse(VmdkDescriptor.RewriteCid(Encoding.ASCII.GetBytes("CID=1\n\0\0\0\0"), 5), "no parentCID: qemu's EINVAL");
    }

    [TestMethod]
    public void RewritingDropsWhatLiesBetweenCidAndParentCid()
    {
        var area = new byte[64];
        Encoding.ASCII.GetBytes("CID=1\n# note\nparentCID=ffffffff\n").CopyTo(area, 0);
        Assert.IsTrue(VmdkDescriptor.RewriteCid(area, 0x2));
        Assert.AreEqual("CID=2\nparentCID=ffffffff\n", VmdkDescriptor.FromBytes(area).Text);
    }
}
