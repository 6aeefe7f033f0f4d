using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ImageBuild.Cli.Tests.Oracle.Contract;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// Real images made by other software (../shared/images), one test per row of its expected.tsv:
/// <list type="bullet">
/// <item>a format the engine has a driver for (asked of its FormatRegistry, <see cref="EngineDrivers"/>): a row qemu-img
/// opens converts (`convert -f FMT -O raw`) to exactly the tsv's md5 (above 1 GiB: to what qemu-img compare finds
/// identical to qemu-img's reading of the image, which has that md5) and virtual size; a row qemu-img refuses fails
/// with a non-zero exit and a one-line message (after any warnings), no stack trace (a row the tsv marks beyond-qemu
/// may also convert, but then to its md5);</item>
/// <item>a format the engine refuses: `info -f FMT` and `info` (probing, where qemu-img's probe finds that format)
/// print exactly `imagebuild: 'PATH': format 'FMT' is not supported by this engine yet` and exit 1 — never a
/// reading as raw. Where qemu-img probes such a file as raw (a fixed VHD), our probed info equals qemu-img's.</item>
/// </list>
/// Images stored only compressed (.gz, .bz2) are decompressed into a scratch directory; for a refused format only
/// their first MiB, which is all a probe or a refusal looks at.
/// </summary>
[TestClass]
[RequiresQemu]
[RequiresSharedImages]
public sealed class RealImageOracleTests
{
    private const string NoSharedImages = "(../shared/images not found)";
    private const int RefusalPrefixBytes = 1 << 20;

    /// <summary>Conversions up to this virtual size are checked by md5; larger ones by qemu-img compare (below).</summary>
    private const long Md5Limit = 1L << 30;

    /// <summary>One row per image of expected.tsv (a placeholder when the folder is absent, so that discovery works).</summary>
    public static IEnumerable<object[]> Images()
    {
        var rows = RealImageRow.LoadOrEmpty();
        return rows.Count == 0 ? [[NoSharedImages]] : rows.Select(r => new object[] { r.Image });
    }

    [TestMethod]
    [DynamicData(nameof(Images))]
    public void RealImageMatchesExpectedTsv(string image)
    {
        var row = RealImageRow.Load().SingleOrDefault(r => r.Image == image)
            ?? throw new AssertFailedException($"{image} is not a row of expected.tsv");
        using var tmp = new TempDir();
        if (EngineDrivers.IsRefused(row.Format))
        {
            AssertRefusedByName(row, Materialize(row, tmp, RefusalPrefixBytes), tmp.Path);
            return;
        }
        string path = Materialize(row, tmp, long.MaxValue);
        var (r, converted) = ConvertToRaw(row, path, tmp);
        if (row.QemuImg == "ok" || (row.QemuImg == "beyond-qemu" && r.ExitCode == 0))
        {
            Assert.AreEqual(0, r.ExitCode, r.ToString());
            Assert.AreEqual("", r.StdOut + r.StdErr, "convert prints nothing");
            Assert.AreEqual(row.VirtualSize, new FileInfo(tmp["out.raw"]).Length, $"virtual size of {image} (length of the raw conversion)");
            if (row.VirtualSize <= Md5Limit || row.QemuImg != "ok")
            {
                Assert.AreEqual(row.RawMd5, Md5(tmp["out.raw"]), $"md5 of the raw conversion of {image}");
            }
            else
            {
                // hashing tens of GiB of holes takes minutes: qemu-img's own raw conversion (its reading of the image
                // has the tsv's md5) is compared with ours through the block status of the two sparse files (a
                // compare through the format would read every byte of formats qemu reports no block status for, vhdx)
                var theirs = ToolUnderTest.Qemu(tmp.Path, "convert", "-f", row.Format, "-O", "raw", QemuReadable(row, converted, tmp), "qemu.raw");
                Assert.AreEqual(0, theirs.ExitCode, $"qemu-img converts {image}\n{theirs}");
                var cmp = ToolUnderTest.Qemu(tmp.Path, "compare", "-f", "raw", "-F", "raw", "qemu.raw", "out.raw");
                Assert.AreEqual(0, cmp.ExitCode, $"our raw conversion of {image} differs from qemu-img's reading of it\n{cmp}");
            }
            var info = ToolUnderTest.Run(tmp.Path, "info", "-f", row.Format, "--output=json", converted);
            Assert.AreEqual(0, info.ExitCode, info.ToString());
            Assert.AreEqual(row.VirtualSize, JsonNode.Parse(info.StdOut)!["virtual-size"]!.GetValue<long>(), $"info virtual-size of {image}");
        }
        else
        {
            Assert.AreNotEqual(0, r.ExitCode, $"{image} ({row.QemuImg}) must be refused\n{r}");
            Assert.AreEqual("", r.StdOut, $"nothing on stdout\n{r}");
            // warnings may come first (qemu-img warns about dmg chunks it cannot decompress, then fails)
            string error = KeepLines(r.StdErr, l => !l.Contains(": warning: ", StringComparison.Ordinal));
            Assert.IsTrue(error.EndsWith('\n') && error.IndexOf('\n') == error.Length - 1, $"one line of error\n{r}");
        }
    }

    /// <summary>
    /// `convert -f FMT -O raw PATH out.raw`. An image with a log to replay (VHDX) is opened read-only by convert only
    /// after `check -r all`, as expected.tsv's md5 was made: the tool under test repairs a scratch copy first. An
    /// image whose backing file is missing (a differencing VHD without its parent, which qemu 7.2 reads as if the
    /// parent were empty) fails with one line naming it, and is then converted with --no-backing, qemu's reading.
    /// </summary>
    private static (TimedResult Result, string Converted) ConvertToRaw(RealImageRow row, string path, TempDir tmp)
    {
        var r = ToolUnderTest.Run(tmp.Path, "convert", "-f", row.Format, "-O", "raw", path, "out.raw");
        OracleAssert.NoCrash(r);
        if (r.ExitCode != 0 && r.StdErr.Contains("Could not open backing file", StringComparison.Ordinal) && !ToolUnderTest.IsQemu)
        {
            Assert.AreEqual(1, r.ExitCode, r.ToString());
            Assert.AreEqual(1, r.StdErr.Count(c => c == '\n'), $"a missing backing file is one line\n{r}");
            r = ToolUnderTest.Run(tmp.Path, "convert", "--no-backing", "-f", row.Format, "-O", "raw", path, "out.raw");
            OracleAssert.NoCrash(r);
            return (r, path);
        }
        if (r.ExitCode == 0 || !r.StdErr.Contains("contains a log that needs to be replayed", StringComparison.Ordinal))
            return (r, path);
        string copy = tmp["replayed-" + Path.GetFileName(path)];
        File.Copy(path, copy);
        var repair = ToolUnderTest.Run(tmp.Path, "check", "-r", "all", "-f", row.Format, copy);
        OracleAssert.NoCrash(repair);
        Assert.AreEqual(0, repair.ExitCode, $"check -r all replays the log of {row.Image}\n{repair}");
        r = ToolUnderTest.Run(tmp.Path, "convert", "-f", row.Format, "-O", "raw", copy, "out.raw");
        OracleAssert.NoCrash(r);
        return (r, copy);
    }

    /// <summary>
    /// The image as qemu-img can open it read-only: where it refuses because of a log to replay (a VHDX our tool
    /// reads by replaying the log in memory), a scratch copy that qemu-img itself repaired with `check -r all`.
    /// </summary>
    private static string QemuReadable(RealImageRow row, string path, TempDir tmp)
    {
        var probe = ToolUnderTest.Qemu(tmp.Path, "info", "-f", row.Format, path);
        if (probe.ExitCode == 0 || !probe.StdErr.Contains("contains a log that needs to be replayed", StringComparison.Ordinal))
            return path;
        string copy = tmp["qemu-replayed-" + Path.GetFileName(path)];
        File.Copy(path, copy);
        var repair = ToolUnderTest.Qemu(tmp.Path, "check", "-r", "all", "-f", row.Format, copy);
        Assert.AreEqual(0, repair.ExitCode, $"qemu-img check -r all replays the log of {row.Image}\n{repair}");
        return copy;
    }

    private static string KeepLines(string text, Func<string, bool> keep) =>
        string.Concat(text.Split('\n').Where(l => l.Length > 0 && keep(l)).Select(l => l + "\n"));

    /// <summary>Every format expected.tsv names is one the engine knows, with a driver or refused by name.</summary>
    [TestMethod]
    public void EveryFormatOfTheTsvIsRegisteredInTheEngine()
    {
        foreach (string format in RealImageRow.Load().Select(r => r.Format).Distinct())
            Assert.IsTrue(EngineDrivers.HasDriver(format) || EngineDrivers.IsRefused(format), $"format '{format}' of expected.tsv is unknown to the engine");
    }

    /// <summary>`info -f FMT` and a probing `info` name the unsupported format, exactly, with exit 1.</summary>
    private static void AssertRefusedByName(RealImageRow row, string path, string cwd)
    {
        var declared = ToolUnderTest.Run(cwd, "info", "-f", row.Format, path);
        AssertRefusal(declared, path, row.Format);

        // qemu-img's probe: the format it opens the file as; a file it cannot open was probed as the tsv's format
        // (raw never fails to open)
        var q = ToolUnderTest.Qemu(cwd, "info", "--output=json", path);
        string probed = q.ExitCode == 0 ? JsonNode.Parse(q.StdOut)!["format"]!.GetValue<string>() : row.Format;
        var probing = ToolUnderTest.Run(cwd, "info", path);
        if (EngineDrivers.IsRefused(probed))
            AssertRefusal(probing, path, probed);
        else
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(cwd, "info", path), probing);
    }

    private static void AssertRefusal(TimedResult r, string path, string format)
    {
        OracleAssert.NoCrash(r);
        Assert.AreEqual(1, r.ExitCode, r.ToString());
        Assert.AreEqual("", r.StdOut, r.ToString());
        Assert.AreEqual($"imagebuild: '{path}': format '{format}' is not supported by this engine yet\n", r.StdErr, r.ToString());
    }

    /// <summary>
    /// The image as a file: the stored one, or its .gz/.bz2 original decompressed into <paramref name="tmp"/> under
    /// the same name (at most <paramref name="maxBytes"/> of it).
    /// </summary>
    private static string Materialize(RealImageRow row, TempDir tmp, long maxBytes)
    {
        string stored = Path.Combine(RealImageRow.Root, row.Image);
        if (File.Exists(stored)) return stored;
        string target = tmp[Path.GetFileName(row.Image)];
        if (File.Exists(stored + ".gz"))
        {
            using var gz = new GZipStream(File.OpenRead(stored + ".gz"), CompressionMode.Decompress);
            CopyAtMost(gz, target, maxBytes);
        }
        else if (File.Exists(stored + ".bz2"))
        {
            var psi = new ProcessStartInfo("bzip2", ["-dc", stored + ".bz2"]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi) ?? throw new AssertFailedException("bzip2 could not be started");
            CopyAtMost(p.StandardOutput.BaseStream, target, maxBytes);
            if (!p.HasExited) p.Kill();
            p.WaitForExit();
        }
        else
        {
            throw new AssertFailedException($"{stored} (or .gz/.bz2) is missing");
        }
        return target;
    }

    private static void CopyAtMost(Stream source, string target, long maxBytes)
    {
        using var output = File.Create(target);
        var buf = new byte[1 << 20];
        for (long done = 0; done < maxBytes;)
        {
            int n = source.Read(buf, 0, (int)Math.Min(buf.Length, maxBytes - done));
            if (n == 0) break;
            output.Write(buf, 0, n);
            done += n;
        }
    }

    /// <summary>md5 of the whole file; holes (SEEK_HOLE) are hashed from a zero buffer instead of being read.</summary>
    private static string Md5(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        long length = fs.Length;
        var buf = new byte[4 << 20];
        var zeros = new byte[4 << 20];
        int fd = (int)fs.SafeFileHandle.DangerousGetHandle();
        long pos = 0;
        while (pos < length)
        {
            long data = Lseek(fd, pos, SeekData);
            if (data < 0) data = length; // ENXIO: only a hole remains
            for (; pos < data; pos += Math.Min(zeros.Length, data - pos))
                md5.AppendData(zeros, 0, (int)Math.Min(zeros.Length, data - pos));
            if (pos >= length) break;
            long hole = Lseek(fd, pos, SeekHole);
            if (hole < 0) hole = length;
            while (pos < hole)
            {
                int n = RandomAccess.Read(fs.SafeFileHandle, buf.AsSpan(0, (int)Math.Min(buf.Length, hole - pos)), pos);
                if (n <= 0) throw new IOException($"short read at {pos} of {path}");
                md5.AppendData(buf, 0, n);
                pos += n;
            }
        }
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    private const int SeekData = 3;
    private const int SeekHole = 4;

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long Lseek(int fd, long offset, int whence);
}

/// <summary>One row of ../shared/images/expected.tsv: image, qemu format, raw md5, virtual size, whether qemu-img opens it.</summary>
internal sealed record RealImageRow(string Image, string Format, string RawMd5, long VirtualSize, string QemuImg)
{
    public static string Root =>
        QemuOracle.SharedImages ?? throw new AssertFailedException("../shared/images with expected.tsv was not found (set IMAGEBUILD_SHARED_IMAGES)");

    public static IReadOnlyList<RealImageRow> Load() => Parse(Path.Combine(Root, "expected.tsv"));

    public static IReadOnlyList<RealImageRow> LoadOrEmpty() =>
        QemuOracle.SharedImages is { } root ? Parse(Path.Combine(root, "expected.tsv")) : [];

    private static List<RealImageRow> Parse(string tsv) =>
        File.ReadAllLines(tsv)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Select(c => c.Length >= 5
                ? new RealImageRow(c[0], c[1], c[2], c[3] == "-" ? -1 : long.Parse(c[3], System.Globalization.CultureInfo.InvariantCulture), c[4])
                : throw new AssertFailedException($"expected.tsv: malformed row '{string.Join('\t', c)}'"))
            .ToList();
}
