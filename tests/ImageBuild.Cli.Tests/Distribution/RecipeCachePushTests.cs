using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;
using static ImageBuild.Cli.Tests.Distribution.RegistryCli;

namespace ImageBuild.Cli.Tests.Distribution;

/// <summary>
/// <c>imagebuild run --cache-to</c> as a process, with the command line's own runtime settings: its managed heap is
/// bounded (256 MiB of GC regions, ImageBuild.Cli.csproj), and .NET answers an exhausted region range with SIGSEGV.
/// Two steps with a few hundred MiB of incompressible data are pushed at once, as a run pushes them; every buffer of
/// the push path must fit beside the other's (it once did not: exit 139 on every such run).
/// </summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class RecipeCachePushTests
{
    [TestMethod]
    public void TwoLargeStepsPushedAtOnceFitTheCommandLinesHeap()
    {
        using var registry = TestRegistry.Start(new TestRegistryOptions());
        using var tmp = new TempDir();
        WriteIncompressible(tmp["disk.raw"], 320 << 20);
        File.WriteAllText(tmp["r.yaml"], """
            name: pushes
            steps:
              - id: disk
                kind: image
                file: disk.raw
                format: raw
              - id: qcow2
                kind: convert
                from: disk
                format: qcow2
              - id: copy
                kind: convert
                from: disk
                format: raw
            """);
        string cache = registry.Reference("steps/pushes");
        var built = ToolUnderTest.RunWithTimeout(tmp.Path, 300_000, "run", "r.yaml", "--output-dir", "a", "--jobs", "2", "--cache-to", cache, "--plain-http");
        Assert.AreEqual(0, built.ExitCode, built.StdOut + built.StdErr);
        StringAssert.Contains(built.StdOut, "2 pushed to " + cache);

        var pulled = Ok(ToolUnderTest.RunWithTimeout(tmp.Path, 300_000, "run", "r.yaml", "--output-dir", "b", "--cache-from", cache, "--plain-http"));
        StringAssert.Contains(pulled.StdOut, "2 pulled");
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["a/qcow2.qcow2"]), File.ReadAllBytes(tmp["b/qcow2.qcow2"]));
    }

    /// <summary>Seeded pseudo-random bytes: zstd cannot shrink them, so the encoder's output is as large as the file.</summary>
    private static void WriteIncompressible(string path, int size)
    {
        var random = new Random(19);
        byte[] block = new byte[1 << 20];
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write);
        for (int written = 0; written < size; written += block.Length)
        {
            random.NextBytes(block);
            f.Write(block);
        }
    }
}
