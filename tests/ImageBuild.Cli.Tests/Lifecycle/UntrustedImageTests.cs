using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// Issue 12 defect 10 on the command line: qemu-img's behaviour stays the default (an image's backing and data
/// files are followed wherever they are); --untrusted, beyond qemu-img, confines them to regular files inside the
/// image's own directory. A FIFO is refused as qemu's file driver refuses it, without blocking first.
/// </summary>
[TestClass]
public sealed class UntrustedImageTests
{
    private static TempDir Layout()
    {
        var dir = new TempDir();
        Directory.CreateDirectory(dir["images"]);
        Directory.CreateDirectory(dir["outside"]);
        File.WriteAllBytes(dir["outside/secret.raw"], Enumerable.Repeat((byte)0x5A, 1 << 20).ToArray());
        return dir;
    }

    private static void Ok(TimedResult r) => Assert.AreEqual(0, r.ExitCode, r.CommandLine + ": " + r.StdErr);

    [TestMethod]
    [DataRow(1, "convert", "--untrusted", "-O", "raw", "top.qcow2", "out.raw")]
    [DataRow(2, "compare", "--untrusted", "top.qcow2", "top.qcow2")]
    [DataRow(1, "info", "--backing-chain", "--untrusted", "top.qcow2")]
    [DataRow(1, "--untrusted", "info", "--backing-chain", "top.qcow2")]
    public void BackingFileOutsideTheDirectoryIsRefusedUnderUntrusted(int exitCode, params string[] args)
    {
        using var dir = Layout();
        string images = dir["images"];
        Ok(ToolUnderTest.Run(images, "create", "-q", "-f", "qcow2", "-u", "-b", "../outside/secret.raw", "-F", "raw", "top.qcow2", "1M"));

        var r = ToolUnderTest.Run(images, args);
        Assert.AreEqual(exitCode, r.ExitCode, r.StdOut);
        Assert.AreEqual("imagebuild: Could not open 'top.qcow2': backing file '../outside/secret.raw' named by untrusted image 'top.qcow2' is outside the image's directory\n", r.StdErr);
        Assert.IsFalse(File.Exists(Path.Combine(images, "out.raw")), "no output is created");

        // Without the option: qemu-img's behaviour, the backing file is read wherever it is.
        Ok(ToolUnderTest.Run(images, [.. args.Where(a => a != "--untrusted")]));
    }

    [TestMethod]
    public void DataFileOutsideTheDirectoryIsRefusedEvenByInfo()
    {
        using var dir = Layout();
        string images = dir["images"];
        Ok(ToolUnderTest.Run(images, "create", "-q", "-f", "qcow2", "-o", "data_file=../outside/top.data", "top.qcow2", "1M"));
        var r = ToolUnderTest.Run(images, "info", "--untrusted", "top.qcow2");
        Assert.AreEqual(1, r.ExitCode);
        Assert.AreEqual("imagebuild: Could not open 'top.qcow2': data file '../outside/top.data' named by untrusted image 'top.qcow2' is outside the image's directory\n", r.StdErr);
        Ok(ToolUnderTest.Run(images, "info", "top.qcow2"));
    }

    [TestMethod]
    public void BackingFileInsideTheDirectoryIsFineUnderUntrusted()
    {
        using var dir = Layout();
        string images = dir["images"];
        File.Copy(dir["outside/secret.raw"], Path.Combine(images, "base.raw"));
        Ok(ToolUnderTest.Run(images, "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "top.qcow2", "1M"));
        Ok(ToolUnderTest.Run(images, "convert", "--untrusted", "-O", "raw", "top.qcow2", "out.raw"));
        CollectionAssert.AreEqual(File.ReadAllBytes(dir["outside/secret.raw"]), File.ReadAllBytes(Path.Combine(images, "out.raw")));
    }

    /// <summary>qemu-img blocks in open(2) until a writer comes, then says this; we say it at once.</summary>
    [TestMethod]
    public void FifoAsTheImageIsRefusedAsQemusFileDriverDoes()
    {
        using var dir = Layout();
        Fifo.Make(dir["pipe"]);
        var r = ToolUnderTest.RunWithTimeout(dir.Path, 60_000, "info", "pipe");
        Assert.AreEqual(1, r.ExitCode);
        Assert.AreEqual("imagebuild: Could not open 'pipe': 'file' driver requires 'pipe' to be a regular file\n", r.StdErr);
    }

    [TestMethod]
    public void HelpDocumentsTheOption()
    {
        var r = ToolUnderTest.Run(Path.GetTempPath(), "--help");
        StringAssert.Contains(r.StdOut, "'--untrusted'        (imagebuild, any command) the images are untrusted");
    }
}
