using System.Text.RegularExpressions;

namespace ImageBuild.Tasks.Tests;

public sealed partial class DotnetBuildTests
{
    /// <summary>
    /// Issue 19: the targets pass the ImageBuildCache* and ImageBuildRegistry* properties to the task, so that a
    /// command line's -p: reaches it: a malformed reference is the task's one IMGB1004 error, before any recipe runs.
    /// </summary>
    [TestMethod]
    public void CachePropertiesOnTheCommandLineReachTheTask()
    {
        string dir = Project("Cache", """
              <ItemGroup>
                <ImageRecipe Include="images/disk.yaml" />
              </ItemGroup>
            """);
        var build = _feed.Build(dir, "build", "-p:ImageBuildCacheTo=oci://registry.example/Steps", "-p:ImageBuildRegistryPlainHttp=true");
        Assert.AreNotEqual(0, build.ExitCode, build.StdOut);
        // each error is printed where it happens and again in the summary
        var errors = Regex.Matches(build.StdOut, @"error [A-Z]+[0-9]+: [^\n]*").Select(m => m.Value).Distinct().ToList();
        Assert.HasCount(1, errors, build.StdOut);
        StringAssert.StartsWith(errors[0], "error IMGB1004: CacheTo: 'oci://registry.example/Steps' ");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir, "bin", "Debug", "net10.0", "images", "disk")), "no recipe ran");
    }
}
