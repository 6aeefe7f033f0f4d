using System.Text;
using ImageBuild.Recipes.Execution;

namespace ImageBuild.Recipes.Tests.Filesystems;

/// <summary>
/// Bad content and broken recipes: refused with one line naming the path or the YAML line, and nothing left in the
/// output directory that looks like a built disk.
/// </summary>
[TestClass]
public sealed class ContentRefusalTests
{
    private static RunResult RunFailing(RecipeFixture f, string step, string expected)
    {
        var run = f.Run();
        Assert.IsFalse(run.Succeeded);
        var failed = run.Steps.Single(s => s.Id == step);
        Assert.AreEqual(StepStatus.Failed, failed.Status);
        StringAssert.Contains(failed.Reason, expected);
        Assert.IsFalse(failed.Reason!.Contains("Exception", StringComparison.Ordinal), failed.Reason);
        Assert.IsFalse(failed.Reason.Contains('\n'), "one line");
        Assert.AreEqual(0, Directory.EnumerateFiles(f.OutputDir).Count(n => n.EndsWith(".raw", StringComparison.Ordinal)), "no output left looking built");
        return run;
    }

    [TestMethod]
    public void NameFatCannotHoldIsRefusedNamingThePath()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: fs
                kind: filesystem
                type: fat
                size: 4M
                tree: t
            """, ("t/dir/what?.txt", Encoding.UTF8.GetBytes("x")));
        RunFailing(f, "fs", "dir/what?.txt");
    }

    [TestMethod]
    public void TreeLargerThanThePartitionIsRefused()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: disk
                kind: partition
                size: 8M
                partitions:
                  - type: linux
                    size: 2M
                    filesystem: {type: fat12, tree: t}
            """, ("t/big.bin", ContentFixture.Bytes(3 << 20, 3)));
        var run = RunFailing(f, "disk", "partition 1 (linux)");
        StringAssert.Contains(run.Steps.Single().Reason, "fit");
    }

    [TestMethod]
    public void SpecialFilesInATreeAreRefusedNamingThePath()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: fs
                kind: filesystem
                type: fat
                size: 4M
                tree: t
            """, ("t/a.txt", Encoding.UTF8.GetBytes("x")));
        Assert.AreEqual(0, ImageBuild.Tests.Shared.QemuOracle.Run("/usr/bin/mkfifo", [f["t/pipe"]], f.Dir).ExitCode);
        var run = f.Run();
        Assert.IsFalse(run.Succeeded);
        StringAssert.Contains(run.Steps.Single().Reason, "pipe");
        Assert.IsFalse(File.Exists(f.Out("fs.raw")));
    }

    [TestMethod]
    public void SymlinkLoopsAreSymlinksNotFollowed()
    {
        // A loop is only a loop to whoever follows it: a tree records links as links, so FAT (which has none)
        // refuses it by name, and nothing hangs.
        using var f = new RecipeFixture("""
            steps:
              - id: fs
                kind: filesystem
                type: fat
                size: 4M
                tree: t
            """, ("t/a.txt", Encoding.UTF8.GetBytes("x")));
        File.CreateSymbolicLink(f["t/loop"], "loop");
        Directory.CreateDirectory(f["t/d"]);
        File.CreateSymbolicLink(f["t/d/up"], "..");
        var run = f.Run();
        Assert.IsFalse(run.Succeeded);
        StringAssert.Contains(run.Steps.Single().Reason, "symbolic link");
    }

    [TestMethod]
    [DataRow("tree: nowhere", "tree 'nowhere' does not exist", 6)]
    [DataRow("label: lower case", "FAT volume label 'lower case'", 6)]
    [DataRow("block-size: 4096", "'block-size' is for ext4", 6)]
    [DataRow("uuid: not-a-serial", "a FAT volume serial is XXXX-XXXX", 6)]
    [DataRow("exclude: [x]", "'exclude' selects from 'tree'", 6)]
    public void FilesystemMistakesAreReportedAtTheirLine(string extra, string expected, int line)
    {
        using var f = new RecipeFixture($"""
            steps:
              - id: fs
                kind: filesystem
                type: fat
                size: 4M
                {extra}
            """);
        var e = f.Errors().Single();
        StringAssert.Contains(e.Message, expected);
        Assert.AreEqual(line, e.Line);
    }

    [TestMethod]
    public void PartitionMistakesAreReportedAtTheirLine()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: small
                kind: create
                size: 20M
              - id: disk
                kind: partition
                size: 16M
                partitions:
                  - type: esp
                    size: 4M
                    colour: blue
                  - type: linux
                    size: 4M
                    content: small
                  - type: linux
                    size: 4M
                    content: small
                    filesystem: {type: fat}
            """);
        var errors = f.Errors();
        Assert.IsTrue(errors.Any(e => e.Line == 11 && e.Message.Contains("unknown key 'colour'", StringComparison.Ordinal)), string.Join("\n", errors));

        // Once the recipe loads, the validator finds the rest.
        f.WriteRecipe(File.ReadAllText(f.RecipePath).Replace("colour: blue", "name: ESP", StringComparison.Ordinal));
        errors = f.Errors();
        Assert.IsTrue(errors.Any(e => e.Line == 17 && e.Message.Contains("'content' or 'filesystem', not both", StringComparison.Ordinal)), string.Join("\n", errors));
    }

    [TestMethod]
    public void ContentLargerThanItsPartitionAndTablesThatDoNotFitAreRefusedBeforeRunning()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: small
                kind: create
                size: 20M
              - id: disk
                kind: partition
                size: 16M
                partitions:
                  - type: linux
                    size: 4M
                    content: small
              - id: full
                kind: partition
                size: 8M
                partitions:
                  - {type: esp, size: 6M}
                  - {type: linux, size: 6M}
              - id: mbr
                kind: partition
                table: mbr
                size: 8M
                partitions:
                  - {type: linux, name: root}
            """);
        var errors = f.Errors();
        Assert.IsTrue(errors.Any(e => e.Line == 11 && e.Message.Contains("'small' is 20971520 bytes, larger than the 4194304-byte partition", StringComparison.Ordinal)), string.Join("\n", errors));
        Assert.IsTrue(errors.Any(e => e.Line == 16 && e.Message.Contains("step 'full'", StringComparison.Ordinal)), string.Join("\n", errors));
        Assert.AreEqual(1, errors.Count(e => e.Line == 23), "the MBR partition's name is reported once, where it is written: " + string.Join("\n", errors));
        Assert.IsTrue(errors.Any(e => e.Line == 23 && e.Column == 29 && e.Message.Contains("an MBR partition has no name", StringComparison.Ordinal)), string.Join("\n", errors));
    }

    [TestMethod]
    public void SeedWithoutUserDataOrWithBothFormsIsRefused()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: seed
                kind: cloud-init-seed
                meta-data: m
                meta-data-text: "instance-id: x"
              - id: seed2
                kind: cloud-init-seed
                user-data-text: "#cloud-config"
            """, ("m", Encoding.UTF8.GetBytes("instance-id: y\n")));
        var errors = f.Errors();
        Assert.IsTrue(errors.Any(e => e.Message.Contains("needs 'user-data' or 'user-data-text'", StringComparison.Ordinal)), string.Join("\n", errors));
        Assert.IsTrue(errors.Any(e => e.Line == 4 && e.Message.Contains("give 'meta-data' or 'meta-data-text', not both", StringComparison.Ordinal)), string.Join("\n", errors));
        Assert.AreEqual(2, errors.Count, string.Join("\n", errors));
    }
}
