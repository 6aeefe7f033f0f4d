using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// Writes that run out of space (ENOSPC) on a real small filesystem: a tmpfs mounted for the test (the test needs
/// root, as in CI, and fails rather than skips without it) and unmounted whatever happens.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class FullDiskTests
{
    /// <summary>
    /// The output name is a symbolic link into the small filesystem. qemu-img leaves its partial target; imagebuild
    /// deletes a failed output, and must do so where the data went: the link stays, the partial file goes.
    /// </summary>
    [TestMethod]
    public void AFailedConvertThroughASymlinkRemovesThePartialTargetNotTheLink()
    {
        using var tmp = new TempDir();
        using var disk = new SmallFilesystem(tmp["disk"], 4);
        WriteNoise(tmp["src.raw"], 16 << 20);
        File.CreateSymbolicLink(tmp["out.qcow2"], Path.Combine("disk", "target.qcow2"));

        var r = ToolUnderTest.Run(tmp.Path, "convert", "-O", "qcow2", "src.raw", "out.qcow2");
        OracleAssert.NoCrash(r);
        Assert.AreEqual(1, r.ExitCode, r.ToString());
        StringAssert.EndsWith(r.StdErr, ": No space left on device\n", r.ToString());
        Assert.AreEqual(1, r.StdErr.TrimEnd('\n').Split('\n').Length, $"one error line\n{r}");
        if (ToolUnderTest.IsQemu) return; // qemu-img keeps the partial target: the deliberate difference is ours
        Assert.IsNotNull(new FileInfo(tmp["out.qcow2"]).LinkTarget, "the link, which the user made, stays");
        Assert.IsFalse(File.Exists(Path.Combine(disk.Path, "target.qcow2")), "the partial target is gone");
    }

    /// <summary>A commit into a base on a full disk fails as qemu-img's does and, like qemu's, leaves the base clean.</summary>
    [TestMethod]
    [DataRow(4, "write -q -P 0x33 0 8M", "write -q -P 0x44 12M 1M")]
    [DataRow(2, "write -q -P 0x35 0 512k", "write -q -P 0x36 1M 3M", "write -q -P 0x37 33M 1M")]
    public void ACommitThatFillsTheDiskLeavesTheBaseClean(int megabytes, params string[] writes)
    {
        foreach (bool qemu in new[] { true, false })
        {
            using var tmp = new TempDir();
            using var disk = new SmallFilesystem(tmp["disk"], megabytes);
            ToolUnderTest.QemuOk(tmp.Path, "create", "-q", "-f", "qcow2", "disk/base.qcow2", "64M");
            ToolUnderTest.QemuOk(tmp.Path, "create", "-q", "-f", "qcow2", "-b", "disk/base.qcow2", "-F", "qcow2", "top.qcow2");
            ToolUnderTest.QemuIo(tmp.Path, "qcow2", "top.qcow2", writes);

            var r = qemu ? ToolUnderTest.Qemu(tmp.Path, "commit", "top.qcow2") : ToolUnderTest.Run(tmp.Path, "commit", "top.qcow2");
            OracleAssert.NoCrash(r);
            Assert.AreEqual(1, r.ExitCode, r.ToString());
            StringAssert.StartsWith(ToolUnderTest.Normalize(r.StdErr), "qemu-img: Block job failed: ", r.ToString());
            StringAssert.EndsWith(r.StdErr, "No space left on device\n", r.ToString());
            var check = ToolUnderTest.Qemu(tmp.Path, "check", "disk/base.qcow2");
            Assert.AreEqual(0, check.ExitCode, $"{(qemu ? "qemu-img" : "imagebuild")} left the base unclean\n{r}\n{check}");
        }
    }

    /// <summary>A qcow2 create that runs out of space deletes what it made, as qemu-img does: nothing half-written stays.</summary>
    [TestMethod]
    [DataRow("create", "-q", "-f", "qcow2", "-o", "preallocation=full", "disk/new.qcow2", "16M")]
    [DataRow("create", "-q", "-f", "qcow2", "-o", "preallocation=full,data_file=disk/new.raw", "disk/new.qcow2", "16M")]
    [DataRow("convert", "-O", "qcow2", "-o", "preallocation=full", "src.raw", "disk/new.qcow2")]
    public void AQcow2CreateThatFillsTheDiskLeavesNothingBehind(params string[] args)
    {
        foreach (bool qemu in new[] { true, false })
        {
            using var tmp = new TempDir();
            using var disk = new SmallFilesystem(tmp["disk"], 4);
            WriteNoise(tmp["src.raw"], 16 << 20);
            var r = qemu ? ToolUnderTest.Qemu(tmp.Path, args) : ToolUnderTest.Run(tmp.Path, args);
            OracleAssert.NoCrash(r);
            Assert.AreEqual(1, r.ExitCode, r.ToString());
            StringAssert.EndsWith(r.StdErr, "No space left on device\n", r.ToString());
            CollectionAssert.AreEqual(Array.Empty<string>(), Directory.GetFileSystemEntries(disk.Path),
                $"{(qemu ? "qemu-img" : "imagebuild")} left files behind\n{r}");
        }
    }

    private static void WriteNoise(string path, int length)
    {
        var data = new byte[length];
        new Random(9).NextBytes(data);
        File.WriteAllBytes(path, data);
    }

    /// <summary>A tmpfs of a few MiB mounted at <see cref="Path"/> for the life of the object.</summary>
    private sealed class SmallFilesystem : IDisposable
    {
        public SmallFilesystem(string path, int megabytes)
        {
            Path = path;
            Directory.CreateDirectory(path);
            var r = QemuOracle.Run("mount", ["-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path]);
            if (r.ExitCode != 0)
                Assert.Fail($"this test needs to mount a small tmpfs (root, CAP_SYS_ADMIN): mount exited {r.ExitCode}: {r.StdErr}");
        }

        public string Path { get; }

        public void Dispose()
        {
            var r = QemuOracle.Run("umount", [Path]);
            if (r.ExitCode != 0)
                QemuOracle.Run("umount", ["-l", Path]); // a process still holding a file: detach now, free when it goes
        }
    }
}
