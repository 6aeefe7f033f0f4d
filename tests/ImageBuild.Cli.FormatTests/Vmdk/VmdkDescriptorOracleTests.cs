using System.Text;
using System.Text.RegularExpressions;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vmdk;

/// <summary>
/// Text descriptors, friendly and hostile, opened by the tool and by qemu-img from the same relative names: info
/// (human and JSON), convert to raw (same bytes), map and check agree, errors included. The extents are two flat
/// files of 1 MiB with known patterns, one of them in a subdirectory.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed partial class VmdkDescriptorOracleTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(15);

    private const string Header = "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"{0}\"\n\n# Extent description\n";

    /// <summary>The descriptor of each case (createType, extent lines); "{abs}" is the absolute path of the scratch directory.</summary>
    private static string Descriptor(string kind) => kind switch
    {
        "several-extents" => D("monolithicFlat", "RW 1024 FLAT \"f1.raw\" 0\nRW 100 ZERO\nRDONLY 64 FLAT \"f1.raw\" 0\nNOACCESS 64 FLAT \"f1.raw\" 0\nRW 2048 FLAT \"sub/f2.raw\" 0\n"),
        "crlf" => D("monolithicFlat", "RW 2048 FLAT \"f1.raw\" 1024\n").Replace("\n", "\r\n", StringComparison.Ordinal),
        "offset-into-file" => D("twoGbMaxExtentFlat", "RW 1024 FLAT \"sub/f2.raw\" 1024\nRW 1024 FLAT \"f1.raw\" 0\n"),
        "dot-dot" => D("monolithicFlat", "RW 2048 FLAT \"../img/f1.raw\" 0\n"),
        "absolute" => D("vmfs", "RW 2048 VMFS \"{abs}/img/f1.raw\"\n"),
        "fields-across-lines" => D("monolithicFlat", "RW\n2048\nFLAT \"f1.raw\"\n0\n"),
        "comment-names-createType" => "# createType=\"monolithicSparse\"\n" + D("monolithicFlat", "RW 2048 FLAT \"f1.raw\" 0\n"),
        "huge-sectors" => D("monolithicFlat", "RW 9223372036854775807 FLAT \"f1.raw\" 0\n"),
        "overflowing-sectors" => D("monolithicFlat", "RW 99999999999999999999 FLAT \"f1.raw\" 0\n"),
        "flat-without-offset" => D("monolithicFlat", "RW 2048 FLAT \"f1.raw\"\n"),
        "flat-negative-offset" => D("monolithicFlat", "RW 2048 FLAT \"f1.raw\" -5\n"),
        "vmfs-with-offset" => D("vmfs", "RW 2048 VMFS \"f1.raw\" 0\n"),
        "sparse-with-offset" => D("monolithicFlat", "RW 2048 SPARSE \"f1.raw\" 0\n"),
        "sparse-not-vmdk" => D("monolithicFlat", "RW 2048 SPARSE \"f1.raw\"\n"),
        "sparse-too-small" => D("monolithicFlat", "RW 2048 SPARSE \"tiny.raw\"\n"),
        "missing-extent" => D("monolithicFlat", "RW 2048 FLAT \"nothere.raw\" 0\n"),
        "extent-is-directory" => D("monolithicFlat", "RW 2048 FLAT \"sub\" 0\n"),
        "stream-optimized-type" => D("streamOptimized", "RW 2048 FLAT \"f1.raw\" 0\n"),
        "monolithic-sparse-type" => D("monolithicSparse", "RW 2048 FLAT \"f1.raw\" 0\n"),
        "long-create-type" => D(new string('x', 200), "RW 2048 FLAT \"f1.raw\" 0\n"),
        "no-create-type" => "version=1\nCID=1\nparentCID=ffffffff\nRW 2048 FLAT \"f1.raw\" 0\n",
        "extent-longer-than-file" => D("monolithicFlat", "RW 4096 FLAT \"f1.raw\" 0\n"),
        "extent-past-file" => D("monolithicFlat", "RW 2048 FLAT \"f1.raw\" 4096\n"),
        "bad-cid" => D("monolithicFlat", "RW 2048 FLAT \"f1.raw\" 0\n").Replace("CID=12345678", "CID=zz", StringComparison.Ordinal),
        "no-parent-cid" => D("monolithicFlat", "RW 2048 FLAT \"f1.raw\" 0\n").Replace("parentCID=ffffffff\n", "", StringComparison.Ordinal),
        "unterminated-parent-hint" => D("monolithicFlat", "RW 2048 FLAT \"f1.raw\" 0\n") + "parentFileNameHint=\"base.vmdk\n",
        "parent-not-vmdk" => D("monolithicFlat", "RW 2048 FLAT \"f1.raw\" 0\n") + "parentFileNameHint=\"f1.raw\"\n",
        "parent-missing" => D("monolithicFlat", "RW 2048 FLAT \"f1.raw\" 0\n") + "parentFileNameHint=\"nothere.vmdk\"\n",
        "long-file-name" => D("monolithicFlat", $"RW 2048 FLAT \"{new string('a', 600)}\" 0\n"),
        "nul-ends-text" => D("monolithicFlat", "RW 1024 FLAT \"f1.raw\" 0\n\0RW 1024 FLAT \"f1.raw\" 0\n"),
        _ => throw new ArgumentException(kind),
    };

    private static string D(string createType, string extents) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Header, createType) + extents;

    public static IEnumerable<object[]> Kinds() =>
    [
        ["several-extents"], ["crlf"], ["offset-into-file"], ["dot-dot"], ["absolute"], ["fields-across-lines"],
        ["comment-names-createType"], ["huge-sectors"], ["overflowing-sectors"], ["flat-without-offset"],
        ["flat-negative-offset"], ["vmfs-with-offset"], ["sparse-with-offset"], ["sparse-not-vmdk"], ["sparse-too-small"],
        ["missing-extent"], ["extent-is-directory"], ["stream-optimized-type"], ["monolithic-sparse-type"],
        ["long-create-type"], ["no-create-type"], ["extent-longer-than-file"], ["extent-past-file"], ["bad-cid"],
        ["no-parent-cid"], ["unterminated-parent-hint"], ["parent-not-vmdk"], ["parent-missing"], ["long-file-name"],
        ["nul-ends-text"],
    ];

    [TestMethod]
    [DynamicData(nameof(Kinds))]
    public void DescriptorIsReadAsQemuReadsIt(string kind)
    {
        using var d = new OracleDirs();
        string img = MakeExtents(d);
        File.WriteAllBytes(Path.Combine(img, "disk.vmdk"), Encoding.Latin1.GetBytes(Descriptor(kind).Replace("{abs}", d.Root, StringComparison.Ordinal)));
        const string disk = "../img/disk.vmdk";
        foreach (var args in new[]
        {
            new[] { "info", disk }, ["info", "--output=json", disk], ["convert", "-O", "raw", disk, "out.raw"],
            ["map", disk], ["map", "--output=json", disk], ["check", disk], ["info", "--backing-chain", disk],
        })
        {
            var expected = ToolUnderTest.Qemu(d.Q, args);
            var actual = ToolUnderTest.Run(d.T, args);
            Assert.IsTrue(actual.Elapsed < Quick, $"too slow\n{actual}");
            OracleAssert.SameOutcome(expected, actual);
            if (args[0] == "convert" && expected.ExitCode == 0)
                OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"convert of {kind}");
        }
    }

    /// <summary>
    /// Writing into a descriptor's flat extents (convert -n): the extents get the same bytes as qemu's, and the
    /// descriptor is rewritten in place with a new CID exactly as qemu rewrites it (grown to a whole sector, nothing
    /// appended), the CID value apart.
    /// </summary>
    [TestMethod]
    public void WritingRewritesTheCidInPlaceAsQemuDoes()
    {
        using var d = new OracleDirs();
        string img = MakeExtents(d);
        File.WriteAllText(Path.Combine(img, "disk.vmdk"), Descriptor("several-extents"));
        var src = new byte[1536 * 1024];
        new Random(15).NextBytes(src);
        Array.Clear(src, 768 * 1024, 512 * 1024); // zeros across the extent boundary: written as write-zeroes
        File.WriteAllBytes(d["src.raw"], src);
        foreach (string twin in new[] { d.Q, d.T })
            CopyDirectory(img, Path.Combine(twin, "img"));
        string[] args = ["convert", "-n", "-f", "raw", "-O", "vmdk", "../src.raw", "img/disk.vmdk"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        foreach (string f in new[] { "img/f1.raw", "img/sub/f2.raw" })
            OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, f), Path.Combine(d.T, f), f);
        string q = File.ReadAllText(Path.Combine(d.Q, "img/disk.vmdk"), Encoding.Latin1);
        string t = File.ReadAllText(Path.Combine(d.T, "img/disk.vmdk"), Encoding.Latin1);
        Assert.AreEqual(512, t.Length, "the descriptor file grows to a whole sector, as qemu writes it");
        Assert.AreNotEqual(Descriptor("several-extents"), t.TrimEnd('\0'), "a new CID");
        // qemu writes the CID as "%x": its length, and the zero padding of the sector with it, vary
        Assert.AreEqual(Cid().Replace(q, "CID=X\n").TrimEnd('\0'), Cid().Replace(t, "CID=X\n").TrimEnd('\0'), "descriptor after the write, CID masked");
        var info = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "img/disk.vmdk", "back.raw");
        Assert.AreEqual(0, info.ExitCode, info.ToString());
        CollectionAssert.AreEqual(src, File.ReadAllBytes(Path.Combine(d.T, "back.raw")), "what was written reads back");
    }

    /// <summary>
    /// A descriptor of 60000 extent lines: qemu-img 7.2 spends minutes opening them and fails on "Too many open files";
    /// the tool stops at its extent limit with one line, at once.
    /// </summary>
    [TestMethod]
    public void HugeExtentCountsAreRefusedQuickly()
    {
        using var d = new OracleDirs();
        string img = MakeExtents(d);
        var sb = new StringBuilder(D("monolithicFlat", ""));
        for (int i = 0; i < 60000; i++) sb.Append("RW 1 FLAT \"f1.raw\" 0\n");
        File.WriteAllText(Path.Combine(img, "disk.vmdk"), sb.ToString());
        var r = ToolUnderTest.Run(d.T, "info", "../img/disk.vmdk");
        OracleAssert.NoCrash(r);
        Assert.IsTrue(r.Elapsed < Quick, $"too slow\n{r}");
        Assert.AreEqual(1, r.ExitCode, r.ToString());
        StringAssert.Matches(r.NormalizedStdErr, new Regex(@"^qemu-img: Could not open '\.\./img/disk\.vmdk': '\.\./img/disk\.vmdk' names more than \d+ extents\n$"));
    }

    /// <summary>img/f1.raw (1 MiB of 0x11, its second half 0x12), img/sub/f2.raw (1 MiB, 64 KiB of 0x22 then zeros), img/tiny.raw (2 bytes).</summary>
    private static string MakeExtents(OracleDirs d)
    {
        string img = d["img"];
        Directory.CreateDirectory(Path.Combine(img, "sub"));
        ToolUnderTest.QemuOk(img, "create", "-q", "-f", "raw", "f1.raw", "1M");
        ToolUnderTest.QemuIo(img, "raw", "f1.raw", "write -P 0x11 0 512k", "write -P 0x12 512k 512k");
        ToolUnderTest.QemuOk(img, "create", "-q", "-f", "raw", "sub/f2.raw", "1M");
        ToolUnderTest.QemuIo(img, "raw", "sub/f2.raw", "write -P 0x22 0 64k");
        File.WriteAllBytes(Path.Combine(img, "tiny.raw"), [1, 2]);
        return img;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    [GeneratedRegex("CID=[0-9a-f]+\n")]
    private static partial Regex Cid();
}
