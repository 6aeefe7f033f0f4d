using ImageBuild.Recipes.Events;

namespace ImageBuild.Recipes.Tests;

/// <summary>Progress that reads well on a terminal and in logs, short hashes in explanations, and clear endings.</summary>
[TestClass]
public sealed class ProgressAndEndingTests
{
    private static RecipeEvent Start(string step) => new() { Type = "start", Step = step, Kind = "convert", Message = "why" };
    private static RecipeEvent Progress(string step, double percent) => new() { Type = "progress", Step = step, Kind = "convert", Percent = percent };
    private static RecipeEvent Done(string step) => new() { Type = "done", Step = step, Kind = "convert", Seconds = 0.5, Output = step + ".raw" };

    [TestMethod]
    public void InALogAStepOfLessThanASecondPrintsNoProgress()
    {
        var now = TimeSpan.Zero;
        var log = new StringWriter();
        var writer = new PlainTextEventWriter(log, explain: false, clock: () => now);
        writer.OnEvent(Start("quick"));
        for (int p = 0; p <= 100; p += 5) { now += TimeSpan.FromMilliseconds(1); writer.OnEvent(Progress("quick", p)); }
        writer.OnEvent(Done("quick"));
        Assert.AreEqual("run   quick (convert)\ndone  quick in 0.50 s -> quick.raw\n", log.ToString().ReplaceLineEndings("\n"));
    }

    [TestMethod]
    public void InALogALongStepPrintsAPlainLineEveryTenPercentAfterItsFirstSecond()
    {
        var now = TimeSpan.Zero;
        var log = new StringWriter();
        var writer = new PlainTextEventWriter(log, explain: false, clock: () => now);
        writer.OnEvent(Start("slow"));
        for (int p = 0; p <= 100; p++) { now += TimeSpan.FromMilliseconds(50); writer.OnEvent(Progress("slow", p)); }
        writer.OnEvent(Done("slow"));
        string text = log.ToString().ReplaceLineEndings("\n");
        Assert.DoesNotContain("\r", text);
        var progress = text.Split('\n').Where(l => l.StartsWith("      slow ", StringComparison.Ordinal)).ToArray();
        // 1 s is reached at 19 %: from there one line per decile reached, never 0 % or 100 %
        CollectionAssert.AreEqual(new[] { "      slow 10%", "      slow 20%", "      slow 30%", "      slow 40%", "      slow 50%", "      slow 60%", "      slow 70%", "      slow 80%", "      slow 90%" }, progress);
    }

    [TestMethod]
    public void OnATerminalOneLiveLineIsRewrittenInPlaceAndClearedBeforeOtherLines()
    {
        var tty = new StringWriter();
        var writer = new TerminalEventWriter(tty, explain: false);
        writer.OnEvent(Start("a"));
        writer.OnEvent(Progress("a", 10));
        writer.OnEvent(Start("b"));
        writer.OnEvent(Progress("b", 50));
        writer.OnEvent(Progress("a", 42.5));
        writer.OnEvent(Done("a"));
        writer.OnEvent(Done("b"));
        string text = tty.ToString();
        // no progress ever gets a newline of its own: every live line ends in \r
        Assert.IsFalse(text.Split('\n').Any(l => l.Contains("/100%)", StringComparison.Ordinal) && !l.Contains('\r')));
        StringAssert.Contains(text, "    (10.00/100%) a\r");
        StringAssert.Contains(text, "    (42.50/100%) a      (50.00/100%) b\r");
        // the last state on screen after the final \r: the done line of b and nothing live
        string screen = text[(text.LastIndexOf('\r') + 1)..];
        Assert.AreEqual("done  b in 0.50 s -> b.raw" + Environment.NewLine, screen);
        // each done line starts on a cleared line
        StringAssert.Contains(text, new string(' ', "    (42.50/100%) a      (50.00/100%) b".Length) + "\rdone  a in 0.50 s");
    }

    [TestMethod]
    public void TheLiveLineNeverWrapsOnANarrowTerminal()
    {
        var tty = new StringWriter();
        var writer = new TerminalEventWriter(tty, explain: false, width: 40);
        foreach (var step in new[] { "first-step", "second-step", "third-step" }) writer.OnEvent(Start(step));
        writer.OnEvent(Progress("third-step", 12.5));
        string[] drawn = tty.ToString().Split('\r');
        Assert.AreEqual("", drawn[^1], "the cursor waits at the start of the live line");
        Assert.AreEqual("    (0.00/100%) first-step      (0.0...", drawn[^2]);
        Assert.IsTrue(drawn.All(d => d.Split('\n').All(l => l.Length < 40)), "no line reaches the 40th column");
    }

    [TestMethod]
    public void ExplainShowsShortHashPrefixesAndVerboseTheFullHashes()
    {
        using var f = IncrementalTests.NewPipeline();
        Assert.AreEqual(0, CliTests.Cli("run", f.RecipePath, "--output-dir", f.OutputDir).Code);
        var (code, stdout, _) = CliTests.Cli("run", f.RecipePath, "--output-dir", f.OutputDir, "--explain");
        Assert.AreEqual(0, code);
        var line = stdout.Split('\n').First(l => l.StartsWith("skip  final", StringComparison.Ordinal));
        StringAssert.Matches(line, new System.Text.RegularExpressions.Regex(@"^skip  final \(convert\): up to date \(key [0-9a-f]{8}\)$"));
        (code, stdout, _) = CliTests.Cli("run", f.RecipePath, "--output-dir", f.OutputDir, "--explain", "--verbose");
        Assert.AreEqual(0, code);
        line = stdout.Split('\n').First(l => l.StartsWith("skip  final", StringComparison.Ordinal));
        StringAssert.Matches(line, new System.Text.RegularExpressions.Regex(@"^skip  final \(convert\): up to date \(key xxh128:[0-9a-f]{32}\)$"));
    }

    [TestMethod]
    public void ABusyOutputDirectoryIsOneLineAndExit2()
    {
        using var f = IncrementalTests.NewPipeline();
        Directory.CreateDirectory(Path.Combine(f.OutputDir, ".imagebuild"));
        using var held = new FileStream(Path.Combine(f.OutputDir, ".imagebuild", "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var (code, _, stderr) = CliTests.Cli("run", f.RecipePath, "--output-dir", f.OutputDir);
        Assert.AreEqual(2, code);
        Assert.AreEqual($"imagebuild: output directory '{f.OutputDir}' is in use by another run; wait for it to finish or use another output directory\n",
            stderr.ReplaceLineEndings("\n"));
    }

    [TestMethod]
    [DataRow("steps:\n\t- id: a\n", 2, 1)]
    [DataRow("steps:\n  - id: a\n    kind: create\n\tsize: 1M\n", 4, 1)]
    [DataRow("steps:\n  - id: a\n    kind: create\n  \t  size: 1M\n", 4, 3)]
    public void ATabInIndentationIsReportedAtItsLine(string yaml, int line, int column)
    {
        using var f = new RecipeFixture(yaml);
        var (code, _, stderr) = CliTests.Cli("validate", f.RecipePath);
        Assert.AreEqual(2, code);
        StringAssert.StartsWith(stderr, $"{f.RecipePath}:{line}:{column}: a tab indents this line; YAML indents with spaces only");
    }
}
