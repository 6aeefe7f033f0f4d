using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// A folder of many files read by the CLI, whose heap is bounded (256 MiB): hashing each file for the step key once
/// took a fresh 4 MiB array per file, and after a few hundred files the runtime crashed (SIGSEGV, exit 139) instead
/// of building. The files and the filesystem are small; what matters is how many there are.
/// </summary>
[TestClass]
public sealed class RecipeTreeMemoryTests
{
    [TestMethod]
    public void AFolderOfTwoThousandFilesIsHashedAndWrittenWithinTheHeap()
    {
        using var dir = new TempDir();
        for (int d = 0; d < 40; d++)
        {
            Directory.CreateDirectory(dir[$"tree/d{d}"]);
            for (int f = 0; f < 50; f++)
                File.WriteAllBytes(dir[$"tree/d{d}/f{f}.bin"], new byte[(d * 50 + f) % 7 * 1000 + 1]);
        }
        File.WriteAllText(dir["r.yaml"], "steps:\n  - id: fs\n    kind: filesystem\n    type: fat\n    size: 64M\n    tree: tree\n");
        var r = ToolUnderTest.Run(dir.Path, "run", "r.yaml", "--output-dir", dir["out"]);
        Assert.AreEqual(0, r.ExitCode, r.StdErr + r.StdOut);
        StringAssert.Contains(r.StdOut, "2040 entries");
    }
}
