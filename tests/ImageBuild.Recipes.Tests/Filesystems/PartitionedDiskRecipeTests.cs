using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Loading;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests.Filesystems;

/// <summary>
/// recipes/partitioned-disk.yaml, the example the READMEs show: a GPT disk with an ESP and an ext4 root from
/// recipes/content/, a cloud-init seed, qcow2 and VMDK copies. Every file is read back by the tools users trust, and a
/// second output directory gets the same bytes.
/// </summary>
[TestClass]
public sealed class PartitionedDiskRecipeTests
{
    private static string RecipesDir => Path.Combine(AppContext.BaseDirectory, "recipes");

    [TestMethod]
    [RequiresQemu]
    [RequiresTool("sfdisk")]
    [RequiresTool("sgdisk")]
    [RequiresTool("mcopy")]
    [RequiresTool("fsck.vfat")]
    [RequiresTool("e2fsck")]
    [RequiresTool("debugfs")]
    [RequiresTool("osirrox")]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void TheExampleDiskHoldsItsFoldersAndEveryToolAgrees()
    {
        using var dir = new TempDir();
        string outDir = dir["out"];
        var run = new RecipeRunner(RecipeLoader.Load(Path.Combine(RecipesDir, "partitioned-disk.yaml")), new RunOptions { OutputDir = outDir }).Run();
        Assert.IsTrue(run.Succeeded, string.Join("\n", run.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        string disk = Path.Combine(outDir, "disk.raw");

        var parts = ContentFixture.Sfdisk(disk);
        Assert.AreEqual(2, parts.Count);
        Assert.AreEqual(("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "ESP"), (parts[0].Type, parts[0].Name));
        Assert.AreEqual(("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "root"), (parts[1].Type, parts[1].Name));
        Assert.AreEqual(2048, parts[0].Start, "1 MiB alignment");
        StringAssert.Contains(ExternalTools.RunOk("sgdisk", outDir, "-v", disk).StdOut, "No problems found");

        // ESP: FAT, clean, every file of content/esp.
        string esp = ContentFixture.Extract(disk, parts[0].Start * 512, parts[0].Size * 512, dir["esp.img"]);
        ExternalTools.RunOk("fsck.vfat", dir.Path, "-n", esp);
        Directory.CreateDirectory(dir["esp"]);
        ExternalTools.RunOk("mcopy", dir.Path, "-s", "-n", "-i", esp, "::/", dir["esp"]);
        ContentFixture.SameFiles(ContentFixture.FilesUnder(Path.Combine(RecipesDir, "content", "esp")), ContentFixture.FilesUnder(dir["esp"]), "ESP");

        // Root: ext4, clean, every file of content/root with its mode, owned by root, dated SOURCE_DATE_EPOCH (unset: 0, which ext4 writes as 1).
        string root = ContentFixture.Extract(disk, parts[1].Start * 512, parts[1].Size * 512, dir["root.img"]);
        ExternalTools.RunOk("e2fsck", dir.Path, "-fn", root);
        Directory.CreateDirectory(dir["root"]);
        ExternalTools.RunOk("debugfs", dir.Path, "-R", $"rdump / {dir["root"]}", root);
        string source = Path.Combine(RecipesDir, "content", "root");
        var expected = ContentFixture.FilesUnder(source);
        var actual = ContentFixture.FilesUnder(dir["root"]);
        actual.Remove("lost+found");
        ContentFixture.SameFiles(expected, actual, "root");
        string stat = ExternalTools.RunOk("debugfs", dir.Path, "-R", "stat /usr/local/bin/hello", root).StdOut;
        StringAssert.Contains(stat, $"Mode:  0{Convert.ToString((int)File.GetUnixFileMode(Path.Combine(source, "usr/local/bin/hello")), 8)}");
        StringAssert.Contains(stat, "User:     0   Group:     0");
        StringAssert.Contains(stat, "mtime: 0x00000001", "SOURCE_DATE_EPOCH unset: 0, written as 1 (mke2fs takes 0 as now)");
        StringAssert.Contains(ExternalTools.RunOk("dumpe2fs", dir.Path, "-h", root).StdOut, "Filesystem volume name:   root");

        // Seed: the user-data file as it is in the repository.
        Directory.CreateDirectory(dir["seed"]);
        ExternalTools.RunOk("osirrox", dir.Path, "-indev", Path.Combine(outDir, "seed.iso"), "-extract", "/", dir["seed"]);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(RecipesDir, "content", "seed", "user-data")), File.ReadAllBytes(dir["seed/user-data"]));

        // qemu-img: the same disk as qcow2 and as VMDK.
        foreach (var (name, format) in new[] { ("qcow2.qcow2", "qcow2"), ("vmdk.vmdk", "vmdk") })
            Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "raw", "-F", format, disk, Path.Combine(outDir, name)).ExitCode, name);

        // The same bytes from another output directory.
        string other = dir["again"];
        Assert.IsTrue(new RecipeRunner(RecipeLoader.Load(Path.Combine(RecipesDir, "partitioned-disk.yaml")), new RunOptions { OutputDir = other, Jobs = 1 }).Run().Succeeded);
        foreach (string name in new[] { "root.raw", "disk.raw", "seed.iso", "qcow2.qcow2", "vmdk.vmdk" })
            Assert.IsTrue(File.ReadAllBytes(Path.Combine(outDir, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(other, name))), $"{name} differs between two runs");
    }
}
