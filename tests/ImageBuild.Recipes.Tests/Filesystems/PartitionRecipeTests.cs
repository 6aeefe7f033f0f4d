using System.Text;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests.Filesystems;

/// <summary>
/// filesystem and partition steps run from recipes, read back by the tools users trust: sfdisk and sgdisk for the
/// table, mtools and fsck.fat for FAT, qemu-img for the disk, in the same output from two runs.
/// </summary>
[TestClass]
public sealed class PartitionRecipeTests
{
    private const long MiB = 1 << 20;

    private const string Recipe = """
        name: parts
        steps:
          - id: boot
            kind: filesystem
            type: fat
            size: 8M
            label: BOOT
            tree: esp
          - id: disk
            kind: partition
            size: 40M
            partitions:
              - type: esp
                name: ESP
                size: 8M
                content: boot
              - type: linux
                name: data
                filesystem:
                  type: fat16
                  label: DATA
                  tree: root
                  exclude: [build]
          - id: disk-qcow2
            kind: convert
            from: disk
            format: qcow2
        """;

    [TestMethod]
    [RequiresQemu]
    [RequiresTool("sfdisk")]
    [RequiresTool("sgdisk")]
    [RequiresTool("mcopy")]
    [RequiresTool("fsck.vfat")]
    public void TablesAndFilesystemsReadBackWithTheirTools()
    {
        using var f = new RecipeFixture(Recipe, ContentFixture.Trees);
        var run = f.Run();
        Assert.IsTrue(run.Succeeded, string.Join("\n", run.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        string disk = f.Out("disk.raw");
        Assert.AreEqual(40 * MiB, new FileInfo(disk).Length);

        var parts = ContentFixture.Sfdisk(disk);
        Assert.AreEqual(2, parts.Count);
        Assert.AreEqual((2048L, 16384L, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "ESP"), parts[0]);
        Assert.AreEqual(2048 + 16384, parts[1].Start);
        Assert.AreEqual("0FC63DAF-8483-4772-8E79-3D69D8477DE4", parts[1].Type);
        Assert.AreEqual("data", parts[1].Name);
        StringAssert.Contains(ExternalTools.RunOk("sgdisk", f.Dir, "-v", disk).StdOut, "No problems found");

        // ESP: the filesystem step's image, copied in; the data partition: built in place, build/ excluded.
        var esp = ContentFixture.FilesUnder(f["esp"]);
        var root = ContentFixture.FilesUnder(f["root"]);
        root.Remove("build/ignored.o");
        ContentFixture.SameFiles(esp, Mcopy(f, disk, parts[0].Start * 512, "esp-out"), "ESP");
        ContentFixture.SameFiles(root, Mcopy(f, disk, parts[1].Start * 512, "data-out"), "data partition");
        foreach (var (p, i) in parts.Select((p, i) => (p, i)))
        {
            string part = ContentFixture.Extract(disk, p.Start * 512, p.Size * 512, f[$"part{i}.img"]);
            ExternalTools.RunOk("fsck.vfat", f.Dir, "-n", part);
        }
        StringAssert.Contains(ExternalTools.RunOk("minfo", f.Dir, "-i", $"{disk}@@{parts[1].Start * 512}", "::").StdOut, "DATA");

        // qemu-img: the disk's size and data, and the converted copy holds the same.
        StringAssert.Contains(QemuOracle.ImgOk("info", "-f", "raw", disk), $"virtual size: 40 MiB ({40 * MiB} bytes)");
        Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "raw", "-F", "qcow2", disk, f.Out("disk-qcow2.qcow2")).ExitCode);
    }

    [TestMethod]
    public void PlanSaysWhereEachPartitionGoes()
    {
        using var f = new RecipeFixture(Recipe, ContentFixture.Trees);
        var events = new List<ImageBuild.Recipes.Events.RecipeEvent>();
        new ImageBuild.Recipes.Execution.RecipeRunner(f.Load(), new ImageBuild.Recipes.Execution.RunOptions { OutputDir = f.OutputDir, Sinks = [new RecipeFixture.ListSink(events)] }).Plan();
        StringAssert.Contains(events.Single(e => e.Step == "disk").Message,
            "; writes a GPT disk of 41943040 bytes: 1 esp 'ESP' 8388608 bytes at 1048576 from 'boot', 2 linux 'data' 32488960 bytes at 9437184 with fat16");
    }

    [TestMethod]
    public void TwoRunsWriteTheSameBytesWhateverTheFilesTimes()
    {
        using var f = new RecipeFixture(Recipe, ContentFixture.Trees);
        Assert.IsTrue(f.Run().Succeeded);
        foreach (var file in Directory.EnumerateFiles(f.Dir, "*", SearchOption.AllDirectories).Where(p => !p.StartsWith(f.OutputDir, StringComparison.Ordinal)))
            File.SetLastWriteTimeUtc(file, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        string other = f["out2"];
        Assert.IsTrue(f.Run(outputDir: other).Succeeded);
        foreach (string name in new[] { "boot.raw", "disk.raw" })
            Assert.IsTrue(File.ReadAllBytes(f.Out(name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(other, name))), $"{name} differs between runs");
    }

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void ChangingOneFileRerunsOnlyTheStepsThatReadItsTree()
    {
        using var f = new RecipeFixture(Recipe, ContentFixture.Trees);
        CollectionAssert.AreEquivalent(new[] { "boot", "disk", "disk-qcow2" }, f.Run().Ran());
        Assert.AreEqual(0, f.Run().Ran().Length, "a second run with nothing changed reruns nothing");

        // Touched, same content: nothing reruns. An excluded file: nothing reruns.
        File.SetLastWriteTimeUtc(f["root/etc/hostname"], DateTime.UtcNow.AddMinutes(-5));
        f.WriteFile("root/build/another.o", Encoding.UTF8.GetBytes("more\n"));
        Assert.AreEqual(0, f.Run().Ran().Length, "a touched file or an excluded one reruns nothing");

        // The data partition's tree: the disk (and what reads it) reruns, the boot filesystem does not.
        f.WriteFile("root/etc/hostname", Encoding.UTF8.GetBytes("other\n"));
        CollectionAssert.AreEquivalent(new[] { "disk", "disk-qcow2" }, f.Run().Ran());

        // The boot filesystem's tree: it reruns, and so does the disk holding it.
        f.WriteFile("esp/loader/loader.conf", Encoding.UTF8.GetBytes("timeout 5\n"));
        CollectionAssert.AreEquivalent(new[] { "boot", "disk", "disk-qcow2" }, f.Run().Ran());

        // A mode is part of the tree, so the boot filesystem reruns; FAT keeps no modes, so it writes the same bytes
        // and the disk, keyed by its inputs' content, does not.
        File.SetUnixFileMode(f["esp/loader/loader.conf"], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        CollectionAssert.AreEquivalent(new[] { "boot" }, f.Run().Ran());
    }

    private static SortedDictionary<string, byte[]> Mcopy(RecipeFixture f, string disk, long offset, string dir)
    {
        Directory.CreateDirectory(f[dir]);
        ExternalTools.RunOk("mcopy", f.Dir, "-s", "-n", "-i", $"{disk}@@{offset}", "::/", f[dir]);
        return ContentFixture.FilesUnder(f[dir]);
    }
}
