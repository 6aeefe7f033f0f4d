using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests.EndToEnd;

/// <summary>The README's Cake script, as pasted, beside the README's nuget.config (pointed at this class's feed)
/// and a copy of recipes/, run by a real <c>dotnet cake</c>.</summary>
public sealed partial class CakeScriptTests
{
    [TestMethod]
    public void ReadmeCakeScriptRunsAsPasted()
    {
        var blocks = DocBlocks.Readme();
        string dir = Path.Combine(Feed.Root, "readme-example");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "nuget.config"),
            DocBlocks.Single(blocks, "file", "nuget.config").Text.Replace("/tmp/imagebuild-feed", Feed.FeedPath, StringComparison.Ordinal));
        var script = DocBlocks.Single(blocks, "cake");
        File.WriteAllText(Path.Combine(dir, script.Argument!), script.Text);
        DocBlocks.CopyRecipes(dir);

        var r = CakeFeed.Dotnet(dir, "cake", script.Argument!, "--verbosity=normal");
        if (r.ExitCode != 0)
            Assert.Fail($"dotnet cake of the README's script failed ({r.ExitCode}):\n{r.StdOut}\n{r.StdErr}");
        StringAssert.Contains(r.StdOut, "\n17 ran, 0 up to date\n");   // the script's Information line
        StringAssert.Contains(r.StdOut, "disk.qcow2: 67108864 bytes, needs ");
        StringAssert.Contains(r.StdOut, "are identical");
        foreach (string image in new[] { "artifacts/images/layered.raw", "out/blank.qcow2", "out/disk.qcow2" })
            Assert.IsTrue(File.Exists(Path.Combine(dir, image)), image + " was not made");
        // The addin came from the feed: the version packed for this run.
        var addins = Directory.GetDirectories(Path.Combine(dir, "tools", "Addins")).Select(Path.GetFileName).ToList();
        Assert.IsTrue(addins.Any(a => a!.Contains(Feed.Version, StringComparison.OrdinalIgnoreCase)), $"addins: {string.Join(", ", addins)}; packed {Feed.Version}");
    }

    [TestMethod]
    public void TheAddinPackageCarriesTheBuildsVersion()
    {
        StringAssert.StartsWith(Feed.Version, CakeFeed.BuiltVersion);
        Assert.AreNotEqual("0.1.0", CakeFeed.BuiltVersion.Split('-')[0]);
        Assert.IsTrue(File.Exists(Path.Combine(Feed.FeedPath, $"Cake.ImageBuild.{Feed.Version}.nupkg")));
    }
}
