using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Distribution;

/// <summary>
/// The README's "Sharing images through registries" commands, run as pasted by bash with the imagebuild under test,
/// against a test registry standing in for localhost:5000 and a temporary folder for /tmp/imagebuild-*.
/// </summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class ReadmeRegistryTests
{
    private const string Marker = "tests/ImageBuild.Cli.Tests/Distribution/ReadmeRegistryTests";

    [TestMethod]
    public void SharingSectionCommandsWorkAsPasted()
    {
        using var registry = TestRegistry.Start(new TestRegistryOptions());
        using var tmp = new TempDir();
        string block = ReadmeBlock()
            .Replace("localhost:5000", registry.Host, StringComparison.Ordinal)
            .Replace("/tmp/imagebuild-", Path.Combine(tmp.Path, "tmp-imagebuild-"), StringComparison.Ordinal);
        // "$@" is the imagebuild under test (dotnet imagebuild.dll, or IMAGEBUILD_EXE)
        string script = "tool=(\"$@\"); set --; imagebuild() { \"${tool[@]}\" \"$@\"; }\n" + block;
        var r = ToolUnderTest.RunWrapped(["bash", "-euo", "pipefail", "-c", script, "bash"], tmp.Path);
        Assert.AreEqual(0, r.ExitCode, r.StdOut + r.StdErr);
        string share = Path.Combine(tmp.Path, "tmp-imagebuild-share");
        StringAssert.Contains(r.StdOut, $"oci://{registry.Host}/images/disk:v1@sha256:");
        StringAssert.Contains(r.StdOut, Path.Combine(share, "copy.qcow2") + "\n");
        StringAssert.Contains(r.StdOut, Path.Combine(share, "booted.qcow2") + "\n");
        byte[] disk = File.ReadAllBytes(Path.Combine(share, "disk.qcow2"));
        CollectionAssert.AreEqual(disk, File.ReadAllBytes(Path.Combine(share, "copy.qcow2")));
        CollectionAssert.AreEqual(disk, File.ReadAllBytes(Path.Combine(share, "booted.qcow2")));
    }

    /// <summary>The fenced block after the README's doc-test marker that names this test.</summary>
    private static string ReadmeBlock()
    {
        string[] lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "README.md"));
        int marker = Array.FindIndex(lines, l => l.StartsWith("<!-- doc-test: ", StringComparison.Ordinal) && l.Contains(Marker, StringComparison.Ordinal));
        Assert.IsGreaterThanOrEqualTo(0, marker, "README.md has no block marked for " + Marker);
        Assert.StartsWith("```", lines[marker + 1]);
        int close = Array.FindIndex(lines, marker + 2, l => l.StartsWith("```", StringComparison.Ordinal));
        return string.Join('\n', lines[(marker + 2)..close]) + "\n";
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ImageBuild.sln")))
                return dir.FullName;
        throw new AssertFailedException("ImageBuild.sln not found above " + AppContext.BaseDirectory);
    }
}
