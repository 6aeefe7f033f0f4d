using System.IO.Compression;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Packaging.Gce;
using ImageBuild.Packaging.Tests.Tar;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Packaging.Tests.Gce;

/// <summary>
/// The GCE tarball from a qcow2 made by qemu-img and written by qemu-io, checked with GNU tar (listing, sparse
/// extraction) and qemu-img (the extracted disk.raw against <c>qemu-img convert -O raw</c> of the source).
/// </summary>
[TestClass]
public sealed class GceTarWriterTests
{
    private const long GiB = 1L << 30;
    private const long SourceSize = GiB + (64 << 20); // 1 GiB + 64 MiB: rounded up to 2 GiB

    [TestMethod]
    public void TheTarballHoldsOnlyDiskRawAtTheRoundedSize()
    {
        using var s = new TarScratch();
        string source = Source(s);
        PackageResult result = GceTarWriter.Write(Context(s), new GceTarRequest(new PackageDisk(source, "qcow2")), s.PathOf("image.tar.gz"));

        CollectionAssert.AreEqual(new[] { "disk.raw" }, result.Members.ToArray());
        Assert.AreEqual(GceImage.Describe(SourceSize), result.Note);
        Assert.AreEqual($"-rw-r--r-- 0/0      {2 * GiB} 2023-11-14 22:13:20 disk.raw\n",
            s.Tar("--utc", "--full-time", "--numeric-owner", "-tzvf", "image.tar.gz"));
        Assert.IsTrue(new FileInfo(s.PathOf("image.tar.gz")).Length < 1 << 20, "only the data is stored, compressed");
        ExternalTools.RunOk("gzip", s.Dir, "-t", "image.tar.gz");
    }

    [TestMethod]
    public void ExtractedDiskRawEqualsQemuImgConvertFollowedByZeros()
    {
        using var s = new TarScratch();
        string source = Source(s);
        GceTarWriter.Write(Context(s), new GceTarRequest(new PackageDisk(source, null)), s.PathOf("image.tar.gz"));
        Directory.CreateDirectory(s.PathOf("out"));
        s.Tar("-xzSf", "image.tar.gz", "-C", "out");
        string extracted = s.PathOf("out/disk.raw");
        Assert.AreEqual(2 * GiB, new FileInfo(extracted).Length);

        QemuOracle.ImgOk("convert", "-f", "qcow2", "-O", "raw", source, s.PathOf("expected.raw"));
        // Different lengths: compare checks the common part byte for byte and that the longer file's tail is zeros.
        StringAssert.Contains(QemuOracle.ImgOk("compare", "-f", "raw", "-F", "raw", extracted, s.PathOf("expected.raw")), "Images are identical");
        // GNU tar archiving the extracted file (every zero a hole, the file ending in one, so its SEEK_DATA map is
        // the one this writer computes from the bytes) writes the very archive inside the tarball.
        s.Tar("-C", "out", "--format=oldgnu", "-S", "--numeric-owner", "--owner=0", "--group=0", "--mtime=@" + TarScratch.Mtime, "-cf", "regnu.tar", "disk.raw");
        using (var gz = new GZipStream(File.OpenRead(s.PathOf("image.tar.gz")), CompressionMode.Decompress))
        using (var inside = File.Create(s.PathOf("inside.tar")))
            gz.CopyTo(inside);
        TarScratch.AssertSameFile(s.PathOf("regnu.tar"), s.PathOf("inside.tar"));
        // And qemu-img compare can fail: a changed byte in the data is seen.
        QemuOracle.IoOk("-f", "raw", "-c", "write -P 0x01 4096 512", extracted);
        Assert.AreEqual(1, QemuOracle.Img("compare", "-f", "raw", "-F", "raw", extracted, s.PathOf("expected.raw")).ExitCode);
        Assert.IsTrue(new FileInfo(extracted).Length > 0 && Allocated(extracted) < 64L << 20, "tar -S extracted it sparse");
    }

    [TestMethod]
    public void TwoRunsGiveTheSameBytesAndScratchIsRemoved()
    {
        using var s = new TarScratch();
        string source = Source(s);
        bool scratchUsed = false;
        GceTarWriter.Write(Context(s) with { Progress = _ => scratchUsed |= File.Exists(s.PathOf("scratch/disk.raw")) },
            new GceTarRequest(new PackageDisk(source, "qcow2")), s.PathOf("one.tar.gz"));
        Assert.IsTrue(scratchUsed, "the raw disk is made in scratch");
        GceTarWriter.Write(Context(s) with { Threads = 1 }, new GceTarRequest(new PackageDisk(source, "qcow2")), s.PathOf("two.tar.gz"));
        CollectionAssert.AreEqual(File.ReadAllBytes(s.PathOf("one.tar.gz")), File.ReadAllBytes(s.PathOf("two.tar.gz")));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(s.PathOf("scratch")).Length, "scratch emptied");
    }

    [TestMethod]
    public void ProgressEndsAt100()
    {
        using var s = new TarScratch();
        var progress = new List<double>();
        GceTarWriter.Write(Context(s) with { Progress = progress.Add }, new GceTarRequest(new PackageDisk(Source(s), "qcow2")), s.PathOf("image.tar.gz"));
        Assert.AreEqual(100.0, progress[^1]);
        CollectionAssert.AreEqual(progress.Order().ToList(), progress, "progress only grows");
    }

    [TestMethod]
    public void ATooLargeDiskIsRefusedAndNothingIsLeft()
    {
        using var s = new TarScratch();
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", s.PathOf("huge.qcow2"), (2049 * GiB).ToString());
        var e = Assert.ThrowsExactly<ImageException>(() =>
            GceTarWriter.Write(Context(s), new GceTarRequest(new PackageDisk(s.PathOf("huge.qcow2"), "qcow2")), s.PathOf("image.tar.gz")));
        Assert.AreEqual($"'{s.PathOf("huge.qcow2")}' is 2200096997376 bytes; a Compute Engine image tarball holds a disk of at most 2199023255552 bytes (2048 GiB)", e.Message);
        Assert.IsFalse(File.Exists(s.PathOf("image.tar.gz")));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(s.PathOf("scratch")).Length);
    }

    [TestMethod]
    public void ACancelledWriteLeavesNoOutputAndNoScratch()
    {
        using var s = new TarScratch();
        string source = Source(s);
        using var cts = new CancellationTokenSource();
        var context = Context(s) with
        {
            Cancellation = cts.Token,
            Progress = p => { if (p > 30) cts.Cancel(); }, // during the archive, after the conversion
        };
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            GceTarWriter.Write(context, new GceTarRequest(new PackageDisk(source, "qcow2")), s.PathOf("image.tar.gz")));
        Assert.IsFalse(File.Exists(s.PathOf("image.tar.gz")), "no half-written tarball");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(s.PathOf("scratch")).Length);
    }

    [TestMethod]
    public void AMissingDiskIsOneLineAndLeavesNothing()
    {
        using var s = new TarScratch();
        var e = Assert.ThrowsExactly<ImageException>(() =>
            GceTarWriter.Write(Context(s), new GceTarRequest(new PackageDisk(s.PathOf("none.qcow2"), "qcow2")), s.PathOf("image.tar.gz")));
        // The engine's wording, qemu-img's: "Could not open 'x': Could not open 'x': No such file or directory".
        StringAssert.StartsWith(e.Message, $"Could not open '{s.PathOf("none.qcow2")}': ");
        StringAssert.EndsWith(e.Message, "No such file or directory");
        Assert.IsFalse(e.Message.Contains('\n', StringComparison.Ordinal));
        Assert.IsFalse(File.Exists(s.PathOf("image.tar.gz")));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(s.PathOf("scratch")).Length);
    }

    /// <summary>A qcow2 of 1 GiB + 64 MiB with data written by qemu-io at its start, middle and last cluster, and a zeroed range.</summary>
    private static string Source(TarScratch s)
    {
        string path = s.PathOf("source.qcow2");
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", path, SourceSize.ToString());
        QemuOracle.IoOk("-f", "qcow2",
            "-c", "write -P 0xab 0 1M",
            "-c", "write -P 0x5c 3M 100k",
            "-c", "write -z 3M 8k",
            "-c", $"write -P 0x11 {GiB / 2 + 4096} 64k",
            "-c", $"write -P 0xee {SourceSize - 65536} 64k",
            path);
        return path;
    }

    /// <summary>A context whose scratch folder exists, as the caller of a packager makes it.</summary>
    private static PackageContext Context(TarScratch s)
    {
        string scratch = Directory.CreateDirectory(s.PathOf("scratch")).FullName;
        return new PackageContext
        {
            Engine = ImageContext.CreateDefault(),
            MtimeSeconds = TarScratch.Mtime,
            Scratch = name => Path.Combine(scratch, name),
        };
    }

    private static long Allocated(string path)
    {
        var r = QemuOracle.Run("/usr/bin/du", ["-B1", path]);
        return long.Parse(r.StdOut.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
