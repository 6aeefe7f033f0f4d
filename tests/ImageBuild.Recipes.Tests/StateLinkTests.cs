using ImageBuild.Recipes.Cli;
using ImageBuild.Recipes.Hosting;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// Issue 12 defect 5: a (dangling) symbolic link in the output directory's bookkeeping made `run` create or
/// overwrite the link's target, outside the output directory. The runner's own files are refused or replaced
/// when they are links, never followed; the target outside is neither created nor changed.
/// </summary>
[TestClass]
public sealed class StateLinkTests
{
    private const string Recipe = "steps:\n  - id: base\n    kind: create\n    size: 1M\n";
    private const string Outside = "OUTSIDE-UNCHANGED";

    /// <summary>Links the runner refuses: the run stops before any step with one line naming the link.</summary>
    [TestMethod]
    [DataRow(".imagebuild/lock", true)]
    [DataRow(".imagebuild/lock", false)]
    [DataRow(".imagebuild/state.json", true)]
    [DataRow(".imagebuild/state.json", false)]
    [DataRow("imagebuild-summary.json", true)]
    [DataRow("imagebuild-summary.json", false)]
    [DataRow(".imagebuild", true)]
    [DataRow(".imagebuild", false)]
    public void RunRefusesALinkInPlaceOfItsFiles(string name, bool dangling)
    {
        using var f = new RecipeFixture(Recipe);
        string link = Path.Combine(f.OutputDir, name);
        string target = Plant(f, link, dangling, directory: name == ".imagebuild");

        var (code, _, err) = CliTests.Cli("run", f.RecipePath, "--output-dir", f.OutputDir);
        Assert.AreEqual(1, code, err);
        Assert.AreEqual($"imagebuild: refusing to use '{link}': it is a symbolic link (the runner never writes through links)\n", err);
        AssertUntouched(target, dangling, directory: name == ".imagebuild");
        Assert.IsFalse(File.Exists(f.Out("base.raw")), "no step ran");
    }

    [TestMethod]
    public void PlanRefusesALinkedState()
    {
        using var f = new RecipeFixture(Recipe);
        string link = Path.Combine(f.OutputDir, ".imagebuild", "state.json");
        Plant(f, link, dangling: false, directory: false);
        var (code, _, err) = CliTests.Cli("plan", f.RecipePath, "--output-dir", f.OutputDir);
        Assert.AreEqual(1, code, err);
        StringAssert.StartsWith(err, $"imagebuild: refusing to use '{link}': it is a symbolic link");
    }

    /// <summary>Temporary files are fresh: a link at their name is removed, never written through.</summary>
    [TestMethod]
    [DataRow("summary-temp", true)]
    [DataRow("summary-temp", false)]
    [DataRow("step-partial", true)]
    [DataRow("step-partial", false)]
    public void RunReplacesALinkAtATemporaryName(string which, bool dangling)
    {
        using var f = new RecipeFixture(Recipe);
        // The summary is written by the thread that runs the recipe, under "NAME.PID.THREAD.tmp".
        string link = which == "summary-temp"
            ? f.Out($"imagebuild-summary.json.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp")
            : f.Out(".base.raw.partial");
        string target = Plant(f, link, dangling, directory: false);

        var (code, _, err) = CliTests.Cli("run", f.RecipePath, "--output-dir", f.OutputDir);
        Assert.AreEqual(0, code, err);
        AssertUntouched(target, dangling, directory: false);
        Assert.AreEqual(1L << 20, new FileInfo(f.Out("base.raw")).Length);
    }

    [TestMethod]
    [DataRow("op-base.raw.json")]
    [DataRow("op-base.raw.lock")]
    [DataRow("op-base.raw.summary.json")]
    public void SingleOperationRefusesALinkedRecord(string name)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir[".imagebuild"]);
        string link = Path.Combine(dir[".imagebuild"], name);
        string target = dir["elsewhere/" + name];
        File.CreateSymbolicLink(link, target);
        var r = ImageOperations.Run(new OperationRequest
        {
            Kind = "create", Output = dir["base.raw"], Parameters = new Dictionary<string, string> { ["size"] = "1M" },
        });
        Assert.IsFalse(r.Succeeded);
        var d = r.Diagnostics.Single();
        Assert.AreEqual(DiagnosticCodes.OutputUnavailable, d.Code);
        Assert.AreEqual($"refusing to use '{link}': it is a symbolic link (the runner never writes through links)", d.Message);
        Assert.IsFalse(Directory.Exists(dir["elsewhere"]), "the link's target is not created");
    }


    /// <summary>
    /// The steps' private partial folders: a link in place of one is removed, never written through nor emptied
    /// (removing a run's leftovers through it would delete outside the output directory).
    /// </summary>
    [TestMethod]
    [DataRow(".imagebuild/partial", true)]
    [DataRow(".imagebuild/partial", false)]
    [DataRow(".imagebuild/partial/state", false)]
    [DataRow(".imagebuild/partial/state/base", false)]
    public void RunReplacesALinkAtAPartialFolder(string which, bool dangling)
    {
        using var f = new RecipeFixture(Recipe);
        Assert.IsTrue(f.Run().Succeeded);
        string link = Path.Combine(f.OutputDir, which);
        if (Directory.Exists(link)) Directory.Delete(link, recursive: true); // the run leaves .imagebuild/partial empty
        string target = Plant(f, link, dangling, directory: true);
        string keep = Path.Combine(target, "state", "base", "keep"); // what a cleanup through the link would delete
        if (!dangling)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(keep)!);
            File.WriteAllText(keep, Outside);
        }
        File.WriteAllBytes(f.Out("base.raw"), new byte[10]); // the step must run: it writes through its folder

        var r = f.Run();
        Assert.IsTrue(r.Succeeded, string.Join("\n", r.Steps));
        CollectionAssert.AreEqual(new[] { "base" }, r.Ran());
        Assert.AreEqual(1L << 20, new FileInfo(f.Out("base.raw")).Length);
        if (dangling) Assert.IsFalse(Path.Exists(target), "nothing was created through the link");
        else CollectionAssert.AreEqual(new[] { keep }, Directory.GetFiles(target, "*", SearchOption.AllDirectories), "the linked folder is untouched");
    }

    /// <summary>A link at <paramref name="link"/> to a path outside the output directory (existing unless dangling).</summary>
    private static string Plant(RecipeFixture f, string link, bool dangling, bool directory)
    {
        string target = f["outside/" + Path.GetFileName(link)];
        Directory.CreateDirectory(f["outside"]);
        if (!dangling)
        {
            if (directory) Directory.CreateDirectory(target);
            else File.WriteAllText(target, Outside);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, target);
        return target;
    }

    private static void AssertUntouched(string target, bool dangling, bool directory)
    {
        if (dangling)
            Assert.IsFalse(Path.Exists(target), $"'{target}' was created through the link");
        else if (directory)
            Assert.IsEmpty(Directory.GetFileSystemEntries(target), "nothing was written into the linked directory");
        else
            Assert.AreEqual(Outside, File.ReadAllText(target), "the link's target was modified");
    }
}
