using Cake.Core;
using Cake.ImageBuild.Tests.Fakes;
using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests;

/// <summary>
/// Issue 19: the recipe settings' remote step cache (properties and fluent setters) reach the host's request, files
/// made absolute against the working directory; a malformed reference fails the alias before anything runs.
/// </summary>
[TestClass]
public sealed class CacheSettingsAliasTests
{
    [TestMethod]
    public void TheFluentSettersReachTheRequest()
    {
        using var dir = new TempDir();
        var settings = new ImageBuildRecipeSettings()
            .WithCache("oci://registry.example:5000/team/steps")
            .WithCacheRequired()
            .WithRegistryPlainHttp()
            .WithRegistryCaFile("certs/ca.pem")
            .WithRegistryConfig("/etc/imagebuild/auth.json");
        var request = ImageBuildAliases.RecipeRequest(new FakeCakeContext(dir.Path), "r.yaml", settings, explain: false);
        Assert.AreEqual(new StepCacheSettings
        {
            From = "oci://registry.example:5000/team/steps",
            To = "oci://registry.example:5000/team/steps",
            Required = true,
            PlainHttp = true,
            CaFile = Path.Combine(dir.Path, "certs", "ca.pem"),
            AuthFile = "/etc/imagebuild/auth.json",
        }, request.Cache);
    }

    [TestMethod]
    public void CacheFromAndCacheToWinOverCacheForTheirDirection()
    {
        using var dir = new TempDir();
        var context = new FakeCakeContext(dir.Path);
        var both = ImageBuildAliases.RecipeRequest(context, "r.yaml",
            new ImageBuildRecipeSettings().WithCache("oci://registry.example/both").WithCacheFrom("oci://registry.example/reads"), explain: false).Cache!;
        Assert.AreEqual(("oci://registry.example/reads", "oci://registry.example/both"), (both.From, both.To));
        Assert.IsFalse(both.Required || both.PlainHttp);

        var writeOnly = ImageBuildAliases.RecipeRequest(context, "r.yaml", new ImageBuildRecipeSettings { CacheTo = "oci://127.0.0.1:5000/steps" }, explain: false).Cache!;
        Assert.AreEqual(((string?)null, "oci://127.0.0.1:5000/steps"), (writeOnly.From, writeOnly.To));
    }

    /// <summary>Without any cache setting the request carries none (the recipe's own cache: applies); a file alone is passed on.</summary>
    [TestMethod]
    public void NothingSetPassesNoCacheAndAFileAloneIsPassedOn()
    {
        using var dir = new TempDir();
        var context = new FakeCakeContext(dir.Path);
        Assert.IsNull(ImageBuildAliases.RecipeRequest(context, "r.yaml", new ImageBuildRecipeSettings(), explain: false).Cache);
        var fileOnly = ImageBuildAliases.RecipeRequest(context, "r.yaml", new ImageBuildRecipeSettings().WithRegistryConfig("auth.json"), explain: false).Cache;
        Assert.AreEqual(new StepCacheSettings { AuthFile = Path.Combine(dir.Path, "auth.json") }, fileOnly);
    }

    [TestMethod]
    public void AMalformedReferenceFailsTheAliasBeforeAnythingRuns()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], RecipeAliasTests.Recipe);
        var e = Assert.ThrowsExactly<CakeException>(() => new FakeCakeContext(dir.Path).ImageBuildRecipe("r.yaml",
            new ImageBuildRecipeSettings { OutputDirectory = "out" }.WithCacheTo("oci://registry.example/steps:latest")));
        string? problem = StepCacheReference.Problem("oci://registry.example/steps:latest");
        Assert.IsNotNull(problem);
        Assert.AreEqual($"ImageBuildRecipe '{dir["r.yaml"]}' failed: CacheTo: {problem} [IMGB1004]", e.Message);
        Assert.IsFalse(Directory.Exists(dir["out"]), "nothing ran");
    }

    /// <summary>A password written into a reference is never repeated in the failure.</summary>
    [TestMethod]
    public void AReferenceWithCredentialsIsRefusedWithoutRepeatingThem()
    {
        using var dir = new TempDir();
        var e = Assert.ThrowsExactly<CakeException>(() => ImageBuildAliases.RecipeRequest(new FakeCakeContext(dir.Path), "r.yaml",
            new ImageBuildRecipeSettings().WithCacheFrom("builder:s3cr3t-pass@registry.example/steps"), explain: false));
        StringAssert.EndsWith(e.Message, "failed: CacheFrom: a registry reference holds no credentials (give them in a credentials file or the environment) [IMGB1004]");
        Assert.IsFalse(e.Message.Contains("s3cr3t", StringComparison.Ordinal), e.Message);
    }
}
