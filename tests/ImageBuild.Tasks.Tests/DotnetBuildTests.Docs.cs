using ImageBuild.Tests.Shared;

namespace ImageBuild.Tasks.Tests;

/// <summary>The README's MSBuild example, as pasted: its nuget.config (pointed at this class's feed), recipe and
/// project file, with the single-operation target added, built by a real <c>dotnet build</c>.</summary>
public sealed partial class DotnetBuildTests
{
    [TestMethod]
    public void ReadmeMsBuildExampleBuildsAsPasted()
    {
        var blocks = DocBlocks.Readme();
        string dir = Path.Combine(_feed.Root, "readme-example");
        foreach (var file in blocks.Where(b => b.Kind == "file"))
        {
            string path = Path.Combine(dir, file.Argument!);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file.Text.Replace("/tmp/imagebuild-feed", _feed.Feed, StringComparison.Ordinal));
        }
        string projectFile = Path.Combine(dir, "app.csproj");
        string project = File.ReadAllText(projectFile);
        string target = DocBlocks.Single(blocks, "msbuild-target").Text;
        File.WriteAllText(projectFile, project.Replace("</Project>", target + "</Project>", StringComparison.Ordinal));

        var r = _feed.Build(dir);
        AssertBuilt(r, "dotnet build of the README's example");
        StringAssert.Contains(r.StdOut, "disk.yaml: ok: 2 ran, 0 up to date");
        string outDir = Path.Combine(dir, "bin", "Debug", "net10.0");
        // Variables="format=qcow2" reached the recipe; ListImages printed the items.
        StringAssert.Contains(r.StdOut, "disk.qcow2: qcow2, 67108864 bytes, ");
        Assert.IsTrue(File.Exists(Path.Combine(outDir, "images", "disk", "disk.qcow2")));
        foreach (string image in new[] { "base.raw", "disk.qcow2", "disk.zst.qcow2", "big.qcow2" })
            Assert.IsTrue(File.Exists(Path.Combine(outDir, image)), image + " was not built by the Disk target");
        // The floating version took the package of this feed, the version the build gave it.
        StringAssert.Contains(File.ReadAllText(Path.Combine(dir, "obj", "project.assets.json")), $"\"ImageBuild.Tasks/{_feed.Version}\"");
    }

    [TestMethod]
    public void ThePackageCarriesTheBuildsVersion()
    {
        // build/version.props: a real version, never the old fixed 0.1.0, with git's height and hash in a checkout.
        StringAssert.Matches(_feed.Version, new System.Text.RegularExpressions.Regex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$"));
        Assert.AreNotEqual("0.1.0", _feed.Version);
        string nupkg = Path.Combine(_feed.Feed, $"ImageBuild.Tasks.{_feed.Version}.nupkg");
        using var zip = System.IO.Compression.ZipFile.OpenRead(nupkg);
        using var nuspec = new StreamReader(zip.GetEntry("ImageBuild.Tasks.nuspec")!.Open());
        StringAssert.Contains(nuspec.ReadToEnd(), $"<version>{_feed.Version}</version>");
    }
}
