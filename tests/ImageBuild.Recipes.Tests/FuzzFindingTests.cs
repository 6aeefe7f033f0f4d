using ImageBuild.Recipes.Loading;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// Inputs AFL found for the recipe target (tests/ImageBuild.Fuzz, target "recipe"; bytes decoded as UTF-8 as the
/// target does): YamlDotNet threw InvalidOperationException or ArgumentException on them, which reached the user as
/// "imagebuild: internal error: ...". They must be file:line:col errors like any other bad YAML.
/// </summary>
[TestClass]
public sealed class FuzzFindingTests
{
    [TestMethod]
    [DataRow("203a20a2", DisplayName = "ArgumentException: the current event is of an unsupported type")]
    [DataRow("2e2e2e20006e2e2e80ff2e2e2e", DisplayName = "InvalidOperationException: the scanner should contain no more tokens")]
    [DataRow("0d2d00005b0d640000000004006400000064", DisplayName = "InvalidOperationException in ScanPlainScalar")]
    public void MalformedYamlIsARecipeErrorWithAPosition(string hex)
    {
        string text = System.Text.Encoding.UTF8.GetString(Convert.FromHexString(hex));
        var e = Assert.ThrowsExactly<RecipeException>(() => RecipeLoader.ParseText(text, "fuzz.yaml", null, StepKinds.Default));
        RecipeError error = e.Errors.Single();
        Assert.AreEqual("fuzz.yaml", error.File);
        Assert.IsGreaterThanOrEqualTo(1, error.Line);
        Assert.IsGreaterThanOrEqualTo(1, error.Column);
        Assert.DoesNotContain("Exception", error.ToString());
        Assert.DoesNotContain("\n", error.ToString());
    }

    /// <summary>
    /// AFL found 125-byte recipes whose anchors and aliases form a cycle: YamlDotNet's node hashing recursed until the
    /// stack overflowed, killing the process (and would kill an MSBuild or Cake host).
    /// </summary>
    [TestMethod]
    [DataRow("{&a [*a]: 1}", 1, 6)]
    [DataRow("steps:\n  - &s {id: x, kind: create, more: [*s]}\n", 2, 37)]
    public void AnAliasInsideItsOwnAnchorIsRefusedWhereItStands(string yaml, int line, int column)
    {
        var e = Assert.ThrowsExactly<RecipeException>(() => RecipeLoader.ParseText(yaml, "cycle.yaml", null, StepKinds.Default));
        Assert.AreEqual($"cycle.yaml:{line}:{column}: alias '*{(line == 1 ? "a" : "s")}' refers to a node that contains it", e.Errors.Single().ToString());
    }

    [TestMethod]
    public void AnAliasToAFinishedNodeIsStillFine()
    {
        const string yaml = "name: &n demo\nsteps:\n  - id: base\n    kind: create\n    size: 1M\n    format: raw\ndescription: *n\n";
        Assert.AreEqual("demo", RecipeLoader.ParseText(yaml, "alias.yaml", null, StepKinds.Default).Name);
    }
}
