using ImageBuild.Tests.Shared;
using static ImageBuild.Cli.FormatTests.Parallels.ParallelsImage;

namespace ImageBuild.Cli.FormatTests.Parallels;

/// <summary>
/// Hostile Parallels headers, BATs and format extensions: the tool answers like qemu-img 7.2 (exit code, stdout,
/// stderr, converted bytes), quickly and without a stack trace.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class ParallelsBadInputOracleTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(15);

    /// <summary>qemu-img's exit code when it aborts on a failed assertion (SIGABRT).</summary>
    private const int QemuAborted = 134;

    public static IEnumerable<object[]> Cases() => Images.Keys.Select(k => new object[] { k });

    private static readonly Dictionary<string, ParallelsImage> Images = new()
    {
        ["version-3"] = new() { Version = 3 },
        ["tracks-zero"] = new() { Tracks = 0 },
        ["tracks-largest"] = new() { Tracks = 4186127 },
        ["tracks-too-big"] = new() { Tracks = 4186128 },
        ["bat-too-large"] = new() { BatEntries = 0x20000000 },
        ["bat-one-read-too-large"] = new() { BatEntries = 0x1FFFFFFF },
        ["bat-huge-past-eof"] = new() { BatEntries = 0x1FFFFF00, NbSectors = 0x1FFFFF00UL * 8 },
        ["size-largest"] = new() { NbSectors = (1UL << 54) - (1UL << 21) },
        ["size-too-large"] = new() { NbSectors = (1UL << 54) - (1UL << 21) + 1 },
        ["size-past-bat"] = new() { NbSectors = 1000, Entries = [1, 2, 3, 4], FileLength = 5 * 4096 },
        ["old-magic-high-size"] = new() { OldMagic = true, NbSectors = (1UL << 40) | 32, Entries = [8, 16, 0, 0xFFFFFFFF], FileLength = 3 * 4096 },
        ["entry-past-eof"] = new() { Entries = [1, 2, 100, 0], FileLength = 4 * 4096 },
        ["entry-at-eof"] = new() { Entries = [1, 3, 0, 0], FileLength = 3 * 4096 },
        ["entry-max"] = new() { Entries = [0xFFFFFFFF, 1, 0, 0], FileLength = 2 * 4096 },
        ["entries-shared"] = new() { Entries = [1, 1, 0, 0], FileLength = 3 * 4096 },
        ["entry-in-header"] = new() { OldMagic = true, Entries = [0, 1, 0, 0], FileLength = 2 * 4096 },
        ["data-off-zero"] = new() { DataOff = 0, Entries = [1, 2, 3, 4], FileLength = 5 * 4096 },
        ["data-off-far"] = new() { DataOff = 100000, Entries = [1, 0, 0, 0], FileLength = 5 * 4096 },
        ["odd-tail"] = new() { Entries = [1, 2, 0, 0], FileLength = 3 * 4096 + 10 },
        ["in-use"] = new() { InUse = InUseMagic, Entries = [1, 2, 0, 0], FileLength = 3 * 4096 },
        ["truncated-header"] = new() { FileLength = 40 },
        ["ext-zero"] = new() { ExtOff = 8, FileLength = 2 * 4096 },
        ["ext-past-eof"] = new() { ExtOff = 1UL << 40 },
        ["ext-bad-checksum"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096 + 24, [0, 0, 0, 0]), (4096, Extension(4096)[..24])] },
        ["ext-empty"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096, Extension(4096))] },
        ["ext-unknown-feature"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096, Extension(4096, (0x1234, 8, new byte[8])))] },
        ["ext-feature-flags"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096, FlagsFeature())] },
        ["ext-feature-too-long"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096, Extension(4096, (BitmapMagic, 5000, [])))] },
        ["ext-bitmap"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096, Extension(4096, (BitmapMagic, 40, Bitmap(32, 8, 1, 1))))] },
        ["ext-bitmap-small"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096, Extension(4096, (BitmapMagic, 16, new byte[16])))] },
        ["ext-bitmap-size"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096, Extension(4096, (BitmapMagic, 40, Bitmap(64, 8, 1, 1))))] },
        ["ext-bitmap-l1-long"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096, Extension(4096, (BitmapMagic, 40, Bitmap(32, 8, 9, 1))))] },
        ["ext-bitmap-l1-size"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096, Extension(4096, (BitmapMagic, 48, Bitmap(32, 8, 2, 1, 0))))] },
        ["ext-bitmap-twice"] = new() { ExtOff = 8, FileLength = 2 * 4096, Extra = [(4096, Extension(4096, (BitmapMagic, 40, Bitmap(32, 8, 1, 1)), (BitmapMagic, 40, Bitmap(32, 8, 1, 0))))] },
    };

    /// <summary>A feature header with flags set (the checksum kept valid).</summary>
    private static byte[] FlagsFeature()
    {
        var e = Extension(4096, (0x1234, 8, new byte[8]));
        e[24 + 8] = 1;
        System.Security.Cryptography.MD5.HashData(e.AsSpan(24)).CopyTo(e, 8);
        return e;
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void HostileImageIsHandledLikeQemu(string kind)
    {
        using var d = new OracleDirs();
        string name = kind + ".hdd";
        Images[kind].Write(Path.Combine(d.Root, name));
        foreach (var args in new[]
        {
            new[] { "info", "../" + name }, ["info", "--output=json", "../" + name], ["check", "../" + name],
            ["check", "--output=json", "../" + name], ["map", "--output=json", "../" + name],
            ["convert", "-O", "raw", "../" + name, "out.raw"],
        })
        {
            var expected = ToolUnderTest.Qemu(d.Q, args);
            var actual = ToolUnderTest.Run(d.T, args);
            Assert.IsTrue(actual.Elapsed < Quick, $"too slow on hostile input\n{actual}");
            if (expected.ExitCode == QemuAborted)
            {
                // qemu-img 7.2 fails an assertion (its sector count overflows an int): we answer without crashing
                OracleAssert.NoCrash(actual);
                continue;
            }
            OracleAssert.SameOutcome(expected, actual);
            if (args[0] == "convert" && expected.ExitCode == 0)
                AssertSameRaw(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), kind);
        }
    }

    /// <summary>
    /// The converted images are equal: byte for byte when small, through qemu-img compare (which skips holes) when
    /// a hostile header makes them terabytes of sparse zeros.
    /// </summary>
    private static void AssertSameRaw(string expected, string actual, string kind)
    {
        if (new FileInfo(expected).Length <= 64L << 20)
        {
            OracleFixtures.AssertFilesEqual(expected, actual, $"convert of {kind}");
            return;
        }
        Assert.AreEqual(new FileInfo(expected).Length, new FileInfo(actual).Length, $"convert of {kind}: length");
        var cmp = ToolUnderTest.Qemu(Path.GetDirectoryName(expected)!, "compare", "-f", "raw", "-F", "raw", expected, actual);
        Assert.AreEqual(0, cmp.ExitCode, $"convert of {kind}\n{cmp}");
    }
}
