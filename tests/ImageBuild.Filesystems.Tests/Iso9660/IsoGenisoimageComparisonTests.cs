using System.Text.RegularExpressions;
using ImageBuild.Filesystems.Iso9660;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Iso9660;

/// <summary>Our NoCloud seed against the one cloud-init's docs make with genisoimage: same names, sizes and modes.</summary>
[TestClass]
public sealed partial class IsoGenisoimageComparisonTests
{
    [GeneratedRegex(@"^([-dlrwx]{10})\s+\d+\s+\d+\s+\d+\s+(\d+) .*\]\s+(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Line();

    private static List<string> Listing(string dir, string flag, string iso) =>
        Line().Matches(ExternalTools.RunOk("isoinfo", dir, flag, "-l", "-i", iso).StdOut)
            .Select(m => $"{(flag == "-R" ? m.Groups[1].Value : "")} {m.Groups[2].Value} {m.Groups[3].Value}")
            .Where(s => !s.EndsWith(" .", StringComparison.Ordinal) && !s.EndsWith(" ..", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    [TestMethod]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void SeedListsLikeGenisoimages()
    {
        using var dir = new TempDir();
        var tree = IsoTrees.Seed();
        foreach (var e in tree.Entries) File.WriteAllBytes(dir[e.Name], e.Content!.Value.ToArray());
        foreach (var e in tree.Entries) File.SetUnixFileMode(dir[e.Name], (UnixFileMode)e.Mode);
        ExternalTools.RunOk("genisoimage", dir.Path, "-quiet", "-output", "theirs.iso", "-volid", "cidata", "-joliet", "-rock", "user-data", "meta-data", "network-config");
        using (var f = File.Create(dir["ours.iso"])) IsoWriter.Write(f, tree, new IsoOptions { VolumeLabel = "cidata", TimestampSeconds = IsoTrees.Epoch });

        foreach (string flag in new[] { "-R", "-J" })
        {
            var ours = Listing(dir.Path, flag, dir["ours.iso"]);
            CollectionAssert.AreEqual(Listing(dir.Path, flag, dir["theirs.iso"]), ours, flag + ": " + string.Join(", ", ours));
            Assert.AreEqual(3, ours.Count);
        }
        foreach (string iso in new[] { "theirs.iso", "ours.iso" })
            Assert.AreEqual("cidata", ExternalTools.RunOk("blkid", dir.Path, "-p", "-o", "value", "-s", "LABEL", dir[iso]).StdOut.Trim(), iso);
    }

    [TestMethod]
    public void WithoutRockRidgeOrJolietTheDescriptorsSaySo()
    {
        using var dir = new TempDir();
        var o = new IsoOptions { VolumeLabel = "plain", TimestampSeconds = IsoTrees.Epoch, RockRidge = false, Joliet = false };
        using (var f = File.Create(dir["plain.iso"])) IsoWriter.Write(f, IsoTrees.Seed(), o);
        string d = ExternalTools.RunOk("isoinfo", dir.Path, "-d", "-i", dir["plain.iso"]).StdOut;
        StringAssert.Contains(d, "Volume id: PLAIN");
        StringAssert.Contains(d, "NO Joliet present");
        StringAssert.Contains(d, "NO Rock Ridge present");
        string l = ExternalTools.RunOk("isoinfo", dir.Path, "-l", "-i", dir["plain.iso"]).StdOut;
        StringAssert.Contains(l, "USER_DATA.;1");
        StringAssert.Contains(l, "NETWORK_CONFIG.;1");
        ExternalTools.RunOk("xorriso", dir.Path, "-abort_on", "WARNING", "-indev", dir["plain.iso"], "-find", "/", "-exec", "lsdl");
    }
}
