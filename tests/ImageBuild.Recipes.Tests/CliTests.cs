using System.Text.Json;
using ImageBuild.Recipes.Cli;

namespace ImageBuild.Recipes.Tests;

[TestClass]
public sealed class CliTests
{
    /// <summary>The recipe verbs in-process: exit code, stdout, stderr.</summary>
    internal static (int Code, string Out, string Err) Cli(string verb, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = RecipeCli.Run(verb, args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [TestMethod]
    public void ValidateReportsFileLineColumnAndExit2()
    {
        using var f = new RecipeFixture("steps:\n  - id: a\n    kind: create\n    size: 1M\n    format: raw\n    bogus: 1\n");
        var (code, _, err) = Cli("validate", f.RecipePath);
        Assert.AreEqual(2, code);
        StringAssert.StartsWith(err, $"{f.RecipePath}:6:5: step 'a': unknown parameter 'bogus'");
        StringAssert.Contains(err, "1 error in");
    }

    [TestMethod]
    public void ValidateAcceptsAGoodRecipe()
    {
        using var f = IncrementalTests.NewPipeline();
        var (code, stdout, _) = Cli("validate", f.RecipePath, "--set", "size=16M");
        Assert.AreEqual(0, code);
        StringAssert.Contains(stdout, "ok (7 steps)");
    }

    [TestMethod]
    public void RunExplainsThenSkipsAndWritesASummary()
    {
        using var f = IncrementalTests.NewPipeline();
        var (code, stdout, stderr) = Cli("run", f.RecipePath, "--output-dir", f.OutputDir, "--jobs", "2", "--explain");
        Assert.AreEqual(0, code, stderr);
        StringAssert.Contains(stdout, "run   base (create): no earlier run recorded");
        (code, stdout, _) = Cli("run", f.RecipePath, "--output-dir", f.OutputDir, "--explain");
        Assert.AreEqual(0, code);
        StringAssert.Contains(stdout, "skip  final (convert): up to date");
        StringAssert.Contains(stdout, "0 ran, 7 up to date");

        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(f.OutputDir, "imagebuild-summary.json"))).RootElement;
        Assert.IsTrue(summary.GetProperty("succeeded").GetBoolean());
        var final = summary.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "final");
        var output = final.GetProperty("output");
        Assert.AreEqual("final.raw", output.GetProperty("path").GetString());
        Assert.AreEqual("raw", output.GetProperty("format").GetString());
        Assert.AreEqual(9L << 20, output.GetProperty("virtualSize").GetInt64());
        StringAssert.StartsWith(output.GetProperty("hash").GetString(), "xxh128:");
        var gate = summary.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "gate");
        Assert.AreEqual(9L << 20, gate.GetProperty("measure").GetProperty("required").GetInt64());
    }

    [TestMethod]
    public void EventsAreJsonLines()
    {
        using var f = IncrementalTests.NewPipeline();
        var (code, stdout, _) = Cli("run", f.RecipePath, "--output-dir", f.OutputDir, "--events", "-");
        Assert.AreEqual(0, code);
        var events = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.AreEqual(7, events.Count(e => e.GetProperty("event").GetString() == "start"));
        Assert.AreEqual(7, events.Count(e => e.GetProperty("event").GetString() == "done"));
        Assert.AreEqual("finish", events[^1].GetProperty("event").GetString());
    }

    [TestMethod]
    public void AFailingStepExits1NamingTheStepAndItsLineAndStopsDependents()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
              - id: too-far
                kind: write
                from: base
                offset: 2M
                pattern: 1
                length: 4k
              - id: after
                kind: resize
                from: too-far
                size: 2M
              - id: other
                kind: resize
                from: base
                size: 3M
            """);
        var (code, stdout, stderr) = Cli("run", f.RecipePath, "--output-dir", f.OutputDir);
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, $"{f.RecipePath}:5:5: step 'too-far' (write) failed: pattern 0x01 (4096 bytes at offset 2097152) does not fit in the image (1048576 bytes)");
        StringAssert.Contains(stdout, "stop  after: not run: step 'too-far' failed");
        Assert.IsTrue(File.Exists(f.Out("other.raw")), "independent steps still run");
        Assert.IsFalse(File.Exists(f.Out("too-far.raw")));
        Assert.IsFalse(Directory.GetFiles(f.OutputDir, "*.partial").Length > 0, "no temporary file left behind");
    }

    [TestMethod]
    public void EngineErrorsNameTheOutputNotItsTemporaryFile()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
                options:
                  preallocation: nonsense
            """);
        var (code, _, stderr) = Cli("run", f.RecipePath, "--output-dir", f.OutputDir);
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, $"step 'base' (create) failed: {Path.Combine(f.OutputDir, "base.raw")}: ");
        Assert.DoesNotContain(".partial", stderr);
    }

    [TestMethod]
    public void UsageErrorsExit2()
    {
        Assert.AreEqual(2, Cli("run").Code);
        Assert.AreEqual(2, Cli("run", "a.yaml", "--jobs", "0").Code);
        Assert.AreEqual(2, Cli("run", "a.yaml", "--frobnicate").Code);
        Assert.AreEqual(2, Cli("explode", "a.yaml").Code);
        var (code, _, err) = Cli("validate", "/nonexistent/recipe.yaml");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "cannot read recipe");
    }

    [TestMethod]
    public void PlanPrintsReasonsAndRunsNothing()
    {
        using var f = IncrementalTests.NewPipeline();
        var (code, stdout, _) = Cli("plan", f.RecipePath, "--output-dir", f.OutputDir);
        Assert.AreEqual(0, code);
        StringAssert.Contains(stdout, "run   two (write): input step 'one' will run");
        StringAssert.Contains(stdout, "plan: 7 would run, 0 up to date");
        Assert.IsFalse(Directory.Exists(f.OutputDir));
    }
}
