using ImageBuild.Packaging.Tar;

namespace ImageBuild.Packaging.Tests.Tar;

/// <summary>Which member names the writer takes, and the one-line refusals of the others.</summary>
[TestClass]
public sealed class TarMemberNameTests
{
    [TestMethod]
    [DataRow("", "tar member name '' is empty")]
    [DataRow("/etc/passwd", "tar member name '/etc/passwd' is absolute")]
    [DataRow("../up", "tar member name '../up' has a '..' component")]
    [DataRow("a/./b", "tar member name 'a/./b' has a '.' component")]
    [DataRow("a//b", "tar member name 'a//b' has a '' component")]
    [DataRow("dir/", "tar member name 'dir/' ends with '/'")]
    [DataRow("caf\u00e9.txt", "tar member name 'caf?.txt' has a character other than printable ASCII")]
    [DataRow("new\nline", "tar member name 'new?line' has a character other than printable ASCII")]
    [DataRow("a\\b", "tar member name 'a\\b' has a backslash")]
    public void InvalidNamesAreRefusedInOneLine(string name, string message)
    {
        foreach (TarFormat format in Enum.GetValues<TarFormat>())
        {
            var output = new MemoryStream();
            using var w = new DeterministicTarWriter(output, format, 0, leaveOpen: true);
            var e = Assert.ThrowsExactly<ArgumentException>(() => w.AddFile(name, "x"u8));
            Assert.AreEqual(message, e.Message);
            Assert.AreEqual(0L, output.Length, "nothing written for a refused member");
        }
    }

    [TestMethod]
    public void GnuTakesAtMost100Bytes()
    {
        string hundred = new string('n', 100);
        Assert.AreEqual(hundred, System.Text.Encoding.ASCII.GetString(TarMemberName.Parse(hundred, TarFormat.Gnu).Name));
        var e = Assert.ThrowsExactly<ArgumentException>(() => TarMemberName.Parse("d/" + hundred, TarFormat.Gnu));
        Assert.AreEqual($"tar member name 'd/{hundred}' is 102 bytes; the GNU format's name field holds 100", e.Message);
    }

    [TestMethod]
    public void UstarSplitsAtTheLastSlashThatFitsAndRefusesWhatCannotSplit()
    {
        string prefix = new string('p', 150), name = new string('n', 100);
        TarMemberName split = TarMemberName.Parse($"a/{prefix}/{name}"[2..], TarFormat.Ustar);
        Assert.AreEqual(prefix, System.Text.Encoding.ASCII.GetString(split.Prefix));
        Assert.AreEqual(name, System.Text.Encoding.ASCII.GetString(split.Name));

        string noSlash = new string('x', 101);
        Assert.AreEqual($"tar member name '{noSlash}' is 101 bytes and cannot be split into a ustar prefix of at most 155 and a name of at most 100",
            Assert.ThrowsExactly<ArgumentException>(() => TarMemberName.Parse(noSlash, TarFormat.Ustar)).Message);
        string longTail = "dir/" + new string('x', 101);
        Assert.ThrowsExactly<ArgumentException>(() => TarMemberName.Parse(longTail, TarFormat.Ustar));
        string longPrefix = new string('p', 156) + "/n";
        Assert.ThrowsExactly<ArgumentException>(() => TarMemberName.Parse(longPrefix, TarFormat.Ustar));
    }
}
