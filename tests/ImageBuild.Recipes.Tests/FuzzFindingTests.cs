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
}
