using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Tasks.Tests.Docs;

/// <summary>
/// The README's install commands and recipes/README.md's commands, run as pasted by bash: the tool is packed from
/// this checkout into a feed and installed globally (into a home of the test's own) and locally, then the recipe
/// commands run with the installed `imagebuild` on the PATH in a folder holding a copy of recipes/.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class ReadmeCommandTests
{
    [TestMethod]
    public void EveryCodeBlockSaysWhatItIs()
    {
        var readme = DocBlocks.Readme();
        var recipes = DocBlocks.RecipesReadme();
        // The runnable ones the tests below and the MSBuild/Cake example tests use are there, once each.
        foreach (var (kind, argument) in new (string, string?)[] { ("install-global", null), ("install-local", null), ("file", "nuget.config"), ("file", "app.csproj"), ("file", "images/disk.yaml"), ("msbuild-target", null), ("cake", "build.cake") })
            Assert.AreEqual(1, readme.Count(b => b.Kind == kind && (argument is null || b.Argument == argument)), $"README.md: doc-test {kind} {argument}");
        Assert.AreEqual(1, recipes.Count(b => b.Kind == "sh"));
        Assert.AreEqual(1, recipes.Count(b => b.Kind == "recipe"));
    }

    [TestMethod]
    public void InstallThenRecipeCommandsWorkAsPasted()
    {
        using var tmp = new TempDir();
        string home = Path.Combine(tmp.Path, "home");
        Directory.CreateDirectory(home);
        var readme = DocBlocks.Readme();
        string version = Version();

        // Global: pack from the repository root, install into HOME/.dotnet/tools. NuGet keeps reading the packages
        // this checkout restored (the real package folder): the tool itself installs into the tool store.
        var global = Bash(DocBlocks.RepositoryRoot(), DocBlocks.Single(readme, "install-global").InFolder(tmp.Path), home);
        AssertOk(global, "install-global");
        Assert.IsTrue(File.Exists(Path.Combine(tmp.Path, "tmp-imagebuild-feed", $"ImageBuild.Cli.{version}.nupkg")), "the tool package carries the build's version " + version);
        StringAssert.Contains(global.StdOut, $"imagebuild version 7.2.0 (ImageBuild {version})\n");
        if (RuntimeInformation.RuntimeIdentifier == "linux-x64") AssertNativePackage(Path.Combine(tmp.Path, "tmp-imagebuild-feed", $"ImageBuild.Cli.linux-x64.{version}.nupkg"));

        // Local: a manifest in an empty folder; its package folder is the test's own (local tools run from there).
        string project = Path.Combine(tmp.Path, "project");
        Directory.CreateDirectory(project);
        var local = Bash(project, DocBlocks.Single(readme, "install-local").InFolder(tmp.Path), home, ("NUGET_PACKAGES", Path.Combine(tmp.Path, "packages")));
        AssertOk(local, "install-local");
        StringAssert.Contains(local.StdOut, $"imagebuild version 7.2.0 (ImageBuild {version})\n");

        // recipes/README.md, with the global tool on the PATH (as the install block's export puts it).
        string work = Path.Combine(tmp.Path, "work");
        DocBlocks.CopyRecipes(work);
        var recipes = DocBlocks.RecipesReadme();
        string path = Path.Combine(home, ".dotnet", "tools") + ":" + Environment.GetEnvironmentVariable("PATH");
        var sh = Bash(work, DocBlocks.Single(recipes, "sh").InFolder(tmp.Path), home, ("PATH", path));
        AssertOk(sh, "recipes/README.md commands");
        StringAssert.Contains(sh.StdOut, "recipes/layered.yaml: ok");
        StringAssert.Contains(sh.StdOut, "ok: 8 ran, 0 up to date, 0 failed, 0 not run");
        Assert.IsTrue(File.Exists(Path.Combine(tmp.Path, "tmp-imagebuild-disk", "imagebuild-summary.json")));
        Assert.IsTrue(File.Exists(Path.Combine(work, "events.jsonl")));

        // The recipe of the Format section is a whole, valid recipe beside recipes/content/.
        File.WriteAllText(Path.Combine(work, "recipes", "format-example.yaml"), DocBlocks.Single(recipes, "recipe").Text);
        var validate = Bash(work, "imagebuild validate recipes/format-example.yaml\n", home, ("PATH", path));
        AssertOk(validate, "validate of the Format section's recipe");
    }

    /// <summary>The linux-x64 tool package is native code (NativeAOT): one ELF program, no assemblies or symbols beside it.</summary>
    private static void AssertNativePackage(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var tools = zip.Entries.Where(e => e.FullName.StartsWith("tools/", StringComparison.Ordinal) && e.Name.Length > 0).ToList();
        var program = tools.Single(e => e.Name == "imagebuild");
        byte[] magic = new byte[4];
        using (var s = program.Open()) s.ReadExactly(magic);
        CollectionAssert.AreEqual("\u007fELF"u8.ToArray(), magic, "the linux-x64 package's imagebuild is an ELF program");
        CollectionAssert.AreEqual(new[] { "DotnetToolSettings.xml", "imagebuild" }, tools.Select(e => e.Name).Order(StringComparer.Ordinal).ToArray());
    }

    /// <summary>The version a build of this checkout gets (build/version.props): VERSIONPREFIX-dev.HEIGHT.gHASH, from
    /// git here (the assemblies of this test may predate the last commit, so not theirs).</summary>
    private static string Version()
    {
        string prefix = PackedFeed.BuiltVersion.Split('-')[0];
        string? height = Git("rev-list", "--count", "HEAD");
        string? hash = Git("rev-parse", "--short=8", "HEAD");
        return height is null || hash is null ? $"{prefix}-local" : $"{prefix}-dev.{height}.g{hash}";
    }

    /// <summary>git's output, or null where there is no git or no repository (the build says "local" then).</summary>
    private static string? Git(params string[] args)
    {
        var psi = new ProcessStartInfo("git", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = DocBlocks.RepositoryRoot() };
        try
        {
            using var git = Process.Start(psi) ?? throw new InvalidOperationException("could not start git");
            _ = git.StandardError.ReadToEndAsync();
            string output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static void AssertOk(ProcessResult r, string what)
    {
        if (r.ExitCode != 0)
            Assert.Fail($"{what} failed ({r.ExitCode}):\n{r.StdOut}\n{r.StdErr}");
    }

    private static ProcessResult Bash(string dir, string script, string home, params (string Key, string Value)[] env)
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages, ["HOME"] = home, ["DOTNET_CLI_HOME"] = home };
        foreach (var (key, value) in env)
            environment[key] = value;
        return PackedFeed.RunChild("bash", dir, ["-euo", "pipefail", "-c", script], environment, 600_000);
    }
}
