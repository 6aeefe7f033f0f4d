using ImageBuild.Cli.Commands;

namespace ImageBuild.Cli.Tests.Unit;

/// <summary>
/// Every verb answers -h and --help with its own synopsis and options (qemu-img 10.1's per-command help layout),
/// the global help lists the recipe verbs in their own section, and unknown options still fail as before.
/// </summary>
[TestClass]
public sealed class CommandHelpTests
{
    private static (int Rc, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = Program.Run(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }

    public static IEnumerable<object[]> Verbs => CommandTable.All.Select(c => new object[] { c.Name });

    [TestMethod]
    [DynamicData(nameof(Verbs))]
    public void EachVerbAnswersHelpWithItsOwnSynopsis(string verb)
    {
        var help = CommandHelp.For(verb);
        Assert.IsNotNull(help, $"{verb} has no help");
        foreach (string flag in new[] { "--help", "-h" })
        {
            var r = Run(verb, flag);
            Assert.AreEqual(0, r.Rc, $"{verb} {flag}: {r.Err}");
            Assert.AreEqual("", r.Err, $"{verb} {flag}");
            StringAssert.StartsWith(r.Out, $"Usage:\n  imagebuild {verb} ", $"{verb} {flag}");
            StringAssert.Contains(r.Out, $"\n{help.Description}.\n\nArguments:\n  -h, --help\n     print this help and exit\n");
            Assert.IsFalse(r.Out.Contains("Supported formats", StringComparison.Ordinal), $"{verb} {flag} printed the global help");
        }
    }

    [TestMethod]
    public void HelpWinsOverOtherArguments()
    {
        // as getopt sees it: -h among the options, whatever else is on the line
        var convert = Run("convert", "-O", "qcow2", "--help", "a", "b");
        Assert.AreEqual((0, CommandHelp.For("convert")!.Render(), ""), convert);
        Assert.AreEqual((0, CommandHelp.For("resize")!.Render(), ""), Run("resize", "-h", "f", "+1G"));
        Assert.AreEqual((0, CommandHelp.For("run")!.Render(imageCommand: false), ""), Run("run", "r.yaml", "--help"));
    }

    [TestMethod]
    public void EveryShortOptionOfASynopsisIsDescribed()
    {
        foreach (var help in CommandHelp.ImageVerbs)
        {
            var flags = System.Text.RegularExpressions.Regex.Matches(help.Synopsis, @"(?<=[\[ (|])-[A-Za-z]\b|--[a-z][a-z-]+")
                .Select(m => m.Value).Distinct();
            foreach (string flag in flags)
                StringAssert.Matches(help.Arguments, new System.Text.RegularExpressions.Regex($@"(^|\n)  ([^\n]*, )?{flag}\b"),
                    $"{help.Name}: {flag} is in the synopsis but not described");
        }
    }

    [TestMethod]
    public void GlobalHelpListsTheRecipeVerbsInTheirOwnSection()
    {
        var r = Run("--help");
        Assert.AreEqual(0, r.Rc);
        int qemuPart = r.Out.IndexOf("Parameters to dd subcommand:", StringComparison.Ordinal);
        int recipes = r.Out.IndexOf("\nimagebuild's own commands (declarative recipes, not in qemu-img):\n", StringComparison.Ordinal);
        int formats = r.Out.IndexOf("\nSupported formats: ", StringComparison.Ordinal);
        Assert.IsTrue(qemuPart > 0 && recipes > qemuPart && formats > recipes, r.Out);
        foreach (string verb in new[] { "run", "plan", "validate" })
            StringAssert.Contains(r.Out, $"\n  {verb} RECIPE [--set NAME=VALUE]...");
        // qemu-img 7.2's command list is untouched: no recipe verb in it
        string syntax = r.Out[r.Out.IndexOf("Command syntax:", StringComparison.Ordinal)..r.Out.IndexOf("Command parameters:", StringComparison.Ordinal)];
        Assert.IsFalse(syntax.Contains("  run ", StringComparison.Ordinal));
        Assert.AreEqual(15, syntax.Split('\n').Count(l => l.StartsWith("  ", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void UnknownOptionsStillFail()
    {
        const string TryHelp = "Try 'imagebuild --help' for more information\n";
        Assert.AreEqual((1, "", "imagebuild: unrecognized option '--frob'\n" + TryHelp), Run("info", "--frob", "x"));
        Assert.AreEqual((1, "", "imagebuild: unrecognized option '-Z'\n" + TryHelp), Run("convert", "-Z", "a", "b"));
        Assert.AreEqual((1, "", "imagebuild: Not enough arguments\n" + TryHelp), Run("resize", "x"));
        var run = Run("run", "--frob");
        Assert.AreEqual(2, run.Rc);
        StringAssert.StartsWith(run.Err, "imagebuild: run: unknown option '--frob'\n");
        // 7.2's measure still shows the global help after glibc's own complaint
        var measure = Run("measure", "-Z");
        Assert.AreEqual((0, "measure: invalid option -- 'Z'\n"), (measure.Rc, measure.Err));
        StringAssert.Contains(measure.Out, "\nSupported formats: ");
    }
}
