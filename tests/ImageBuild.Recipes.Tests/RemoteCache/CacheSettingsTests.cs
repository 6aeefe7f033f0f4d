using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Recipes.Cli;

namespace ImageBuild.Recipes.Tests.RemoteCache;

/// <summary>The recipe's <c>cache:</c> section, the command line's cache options, and how a host's settings replace the recipe's.</summary>
[TestClass]
public sealed class CacheSettingsTests
{
    private const string Steps = "steps:\n  - id: base\n    kind: create\n    size: 1M\n";

    [TestMethod]
    public void AReferenceIsReadAndWritten()
    {
        using var f = new RecipeFixture("variables:\n  registry: 127.0.0.1:5000\ncache: oci://${registry}/steps\n" + Steps);
        var cache = f.Load().Cache!;
        Assert.AreEqual("oci://127.0.0.1:5000/steps", cache.From);
        Assert.AreEqual("oci://127.0.0.1:5000/steps", cache.To);
        Assert.IsFalse(cache.Required);
    }

    [TestMethod]
    public void AMappingNamesEachSetting()
    {
        using var f = new RecipeFixture("""
            cache:
              from: oci://registry.example/team/steps
              to: oci://localhost:5000/mine
              required: true
              plain-http: yes
              ca-file: certs/ca.pem
              auth-file: /etc/imagebuild/auth.json
            """ + "\n" + Steps);
        var cache = f.Load().Cache!;
        Assert.AreEqual(new StepCacheSettings
        {
            From = "oci://registry.example/team/steps", To = "oci://localhost:5000/mine", Required = true, PlainHttp = true,
            CaFile = f["certs/ca.pem"], AuthFile = "/etc/imagebuild/auth.json",
        }, cache);
    }

    [TestMethod]
    [DataRow("cache: http://registry.example/steps", 1, 8, "'cache': ")]
    [DataRow("cache: oci://registry.example/steps:latest", 1, 8, "'cache': 'oci://registry.example/steps:latest' names a tag or digest; a step cache is a repository (oci://HOST[:PORT]/REPO), its tags are the step keys")]
    [DataRow("cache:\n  from: oci://registry.example/steps\n  push: oci://registry.example/steps", 3, 3, "'cache': unknown key 'push' (expected one of: from, to, required, plain-http, ca-file, auth-file)")]
    [DataRow("cache:\n  to: oci://registry.example/steps\n  required: maybe", 3, 13, "'cache': 'required': 'maybe' is not true or false")]
    [DataRow("cache:\n  required: true", 2, 3, "'cache' names no store: give 'from' (look steps up), 'to' (push them) or both")]
    [DataRow("cache: [oci://registry.example/steps]", 1, 8, "'cache' must be a reference (oci://HOST/REPO) or a mapping of from, to, required, plain-http, ca-file, auth-file")]
    [DataRow("cache: oci://${nowhere}/steps", 1, 8, "'cache': unknown variable 'nowhere' (declare it under 'variables:')")]
    public void MistakesAreReportedAtTheirLine(string section, int line, int column, string message)
    {
        using var f = new RecipeFixture(section + "\n" + Steps);
        var e = f.Errors().Single();
        Assert.AreEqual((line, column), (e.Line, e.Column), e.ToString());
        StringAssert.StartsWith(e.Message, message);
    }

    [TestMethod]
    public void AHostsSettingsReplaceTheRecipesFieldByField()
    {
        var recipe = new StepCacheSettings { From = "oci://a.example/steps", To = "oci://a.example/steps", CaFile = "/ca.pem" };
        var host = new StepCacheSettings { To = "oci://b.example/steps", Required = true };
        Assert.AreEqual(new StepCacheSettings { From = "oci://a.example/steps", To = "oci://b.example/steps", Required = true, CaFile = "/ca.pem" }, host.Over(recipe));
        Assert.AreEqual(host, host.Over(null));
    }

    [TestMethod]
    public void TheCommandLineTakesOrasAndBuildKitNames()
    {
        Assert.IsTrue(RecipeCli.TryParse("run", ["r.yaml", "--cache", "oci://127.0.0.1:5000/steps", "--cache-required", "--plain-http",
            "--ca-file", "ca.pem", "--registry-config=auth.json"], out var both, out string? error), error);
        Assert.AreEqual(new StepCacheSettings
        {
            From = "oci://127.0.0.1:5000/steps", To = "oci://127.0.0.1:5000/steps", Required = true, PlainHttp = true,
            CaFile = Path.GetFullPath("ca.pem"), AuthFile = Path.GetFullPath("auth.json"),
        }, both.Cache);

        Assert.IsTrue(RecipeCli.TryParse("plan", ["r.yaml", "--cache-from=oci://registry.example/team/steps", "--cache-to", "oci://localhost:5000/mine"], out var split, out error), error);
        Assert.AreEqual(new StepCacheSettings { From = "oci://registry.example/team/steps", To = "oci://localhost:5000/mine" }, split.Cache);

        Assert.IsTrue(RecipeCli.TryParse("run", ["r.yaml"], out var none, out _));
        Assert.IsNull(none.Cache);

        Assert.IsFalse(RecipeCli.TryParse("run", ["r.yaml", "--cache", "oci://registry.example/Steps"], out _, out error));
        StringAssert.StartsWith(error, "--cache: ");
        Assert.IsFalse(RecipeCli.TryParse("validate", ["r.yaml", "--cache", "oci://registry.example/steps"], out _, out error));
        Assert.AreEqual("validate: unknown option '--cache'", error);
        StringAssert.Contains(RecipeCli.Usage, "[--cache oci://HOST[:PORT]/REPO | --cache-from oci://... | --cache-to oci://...] [--cache-required]");
        StringAssert.Contains(RecipeCli.Usage, "[--plain-http] [--ca-file FILE] [--registry-config FILE]");
    }
}
