using System.Text;
using ImageBuild.Filesystems.Fat;

namespace ImageBuild.Filesystems.Tests.Fat;

/// <summary>8.3 names as fatgen103's basis-name and numeric-tail algorithms (and Windows) give them.</summary>
[TestClass]
public sealed class ShortNameGeneratorTests
{
    [TestMethod]
    public void NamesInOneDirectory()
    {
        var g = new ShortNameGenerator();
        (string Long, string Short, byte Case, bool Lfn)[] expected =
        [
            ("README.TXT", "README  TXT", 0, false),
            ("readme.txt", "README~1TXT", 0, true),              // clashes with the first: tail and long name
            ("notes.md", "NOTES   MD ", 0x18, false),            // lower-case base and extension: case bits only
            ("Makefile", "MAKEFILE   ", 0, true),                 // mixed case: long name, no tail
            ("Long File Name.txt", "LONGFI~1TXT", 0, true),
            ("long file name.TXT", "LONGFI~2TXT", 0, true),
            (".bashrc", "BASHRC~1   ", 0, true),
            ("a.b.c.d", "ABC~1   D  ", 0, true),                // as mtools, Linux and Windows: embedded dots dropped
            ("x+y=z.tar.gz", "X_Y_ZT~1GZ ", 0, true),
            ("LONGFI~1.TXT", "LONGFI~3TXT", 0, true),             // the literal name was already generated
        ];
        foreach (var (longName, shortName, caseBits, lfn) in expected)
        {
            var (name, bits, needs) = g.Next(longName);
            Assert.AreEqual(shortName, Encoding.ASCII.GetString(name), longName);
            Assert.AreEqual((caseBits, lfn), (bits, needs), longName);
        }
    }

    [TestMethod]
    public void TailsGrowPastNine()
    {
        var g = new ShortNameGenerator();
        string last = "";
        for (int i = 0; i < 12; i++) last = Encoding.ASCII.GetString(g.Next($"Same Prefix {i}.txt").Name);
        Assert.AreEqual("SAMEP~12TXT", last);
    }

    [TestMethod]
    public void LongNameChecksumIsFatgen103s()
    {
        // checksums mcopy (mtools 4) wrote into the long entries of these short names
        Assert.AreEqual(0xD4, LongNameEntries.Checksum("LONGFI~1TXT"u8));
        Assert.AreEqual(0x76, LongNameEntries.Checksum("BASHRC~1   "u8));
        Assert.AreEqual(0x7E, LongNameEntries.Checksum("ABC~1   D  "u8));
    }
}
