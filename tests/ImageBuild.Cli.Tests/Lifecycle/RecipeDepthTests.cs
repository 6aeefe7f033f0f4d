using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// Issue 12 defect 3: a recipe nested 50,000 levels deep overflowed the stack inside the YAML loader and killed
/// validate, plan and run (exit 134). It is refused in one line at the place it gets too deep, exit 2.
/// </summary>
[TestClass]
public sealed class RecipeDepthTests
{
    private const int Levels = 50_000;

    private static string Yaml(string style) => style switch
    {
        "flow" => "steps: " + new string('[', Levels) + new string(']', Levels) + "\n",
        "flow-mapping" => "steps:\n  - id: a\n    kind: create\n    size: " + string.Concat(Enumerable.Repeat("{a: ", Levels)) + "1" + new string('}', Levels) + "\n",
        _ => "steps:\n  " + string.Concat(Enumerable.Repeat("- ", Levels)) + "x\n",
    };

    [TestMethod]
    [DataRow("validate", "flow", 1, 71)]
    [DataRow("plan", "flow-mapping", 4, 255)]
    [DataRow("run", "block", 2, 129)]
    public void DeeplyNestedRecipeIsRefusedWithItsPlace(string verb, string style, int line, int column)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], Yaml(style));
        var r = verb == "validate"
            ? ToolUnderTest.Run(dir.Path, verb, "r.yaml")
            : ToolUnderTest.Run(dir.Path, verb, "r.yaml", "--output-dir", dir["out"]);
        Assert.AreEqual(2, r.ExitCode, $"{style}: {r.StdErr}");
        string[] lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual($"r.yaml:{line}:{column}: the recipe nests mappings and lists more than 64 levels deep", lines[0], style);
        Assert.AreEqual("1 error in r.yaml", lines[1]);
        Assert.IsFalse(Directory.Exists(dir["out"]), "nothing is written for an invalid recipe");
    }
}
