using ImageBuild.Tests.Shared;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Tests;

[TestClass]
public sealed class LoaderTests
{
    private static RecipeError Single(RecipeFixture f, IReadOnlyDictionary<string, string>? set = null)
    {
        var errors = f.Errors(set);
        Assert.HasCount(1, errors, string.Join("\n", errors));
        return errors[0];
    }

    [TestMethod]
    public void UnknownStepKindIsReportedAtItsLine()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
              - id: x
                kind: explode
                from: base
            """);
        var e = Single(f);
        Assert.AreEqual(6, e.Line);
        Assert.AreEqual(11, e.Column);
        StringAssert.Contains(e.Message, "unknown step kind 'explode'");
        StringAssert.StartsWith(e.ToString(), f.RecipePath + ":6:11: step 'x': unknown step kind");
    }

    [TestMethod]
    public void ReferenceToAMissingStepIsReportedAtTheReference()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
              - id: top
                kind: resize
                from: bsae
                size: 2M
            """);
        var e = Single(f);
        Assert.AreEqual(7, e.Line);
        StringAssert.Contains(e.Message, "'from: bsae' names no step");
    }

    [TestMethod]
    public void ACycleIsReportedWithItsSteps()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: a
                kind: resize
                from: b
                size: 2M
              - id: b
                kind: resize
                from: a
                size: 3M
            """);
        var e = Single(f);
        Assert.AreEqual(2, e.Line);
        StringAssert.Contains(e.Message, "cycle: a -> b -> a");
    }

    [TestMethod]
    public void ABadSizeIsReportedAtTheValue()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 12Q
            """);
        var e = Single(f);
        Assert.AreEqual((4, 11), (e.Line, e.Column));
        StringAssert.Contains(e.Message, "invalid size '12Q'");
    }

    [TestMethod]
    public void ABadSizeFromAVariableIsReportedWhereItIsUsed()
    {
        using var f = new RecipeFixture("""
            variables:
              size: 1M
            steps:
              - id: base
                kind: create
                size: ${size}
            """);
        var e = Single(f, new Dictionary<string, string> { ["size"] = "lots" });
        Assert.AreEqual(6, e.Line);
        StringAssert.Contains(e.Message, "invalid size 'lots'");
    }

    [TestMethod]
    public void AMissingInputFileIsReportedAtItsLine()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
              - id: w
                kind: write
                from: base
                file: content/nope.bin
            """);
        var e = Single(f);
        Assert.AreEqual(8, e.Line);
        StringAssert.Contains(e.Message, "file 'content/nope.bin' does not exist");
    }

    [TestMethod]
    public void AnUnknownOptionIsReportedAtTheOption()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
                options:
                  preallocation: falloc
                  colour: blue
            """);
        var e = Single(f);
        Assert.AreEqual(7, e.Line);
        StringAssert.Contains(e.Message, "raw option 'colour': Invalid parameter 'colour'");
    }

    [TestMethod]
    public void AnUnknownParameterIsReportedAtTheKey()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
                sise: 2M
            """);
        var e = Single(f);
        Assert.AreEqual((5, 5), (e.Line, e.Column));
        StringAssert.Contains(e.Message, "unknown parameter 'sise' for kind 'create'");
    }

    [TestMethod]
    public void AFormatTheEngineDoesNotHaveYetAndASnapshotOfRawAreValidateErrors()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
              - id: v
                kind: convert
                from: base
                format: nodriver
              - id: s
                kind: snapshot
                from: base
                name: first
            """) { Engine = DriverlessImages.Context() };
        var errors = f.Errors();
        Assert.HasCount(2, errors, string.Join("\n", errors));
        Assert.AreEqual(8, errors[0].Line);
        StringAssert.Contains(errors[0].Message, "step 'v': format 'nodriver' is not supported by this engine yet");
        Assert.AreEqual(11, errors[1].Line);
        StringAssert.Contains(errors[1].Message, "step 's': 'from: base' is a raw image, which cannot hold internal snapshots");
    }

    [TestMethod]
    public void RequiredParametersDuplicateIdsAndContentRulesAreChecked()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
              - id: base
                kind: create
                size: 1M
            """);
        var messages = f.Errors().Select(e => $"{e.Line}: {e.Message}").ToList();
        CollectionAssert.Contains(messages, "2: step 'base': kind 'create' needs parameter 'size'");
        Assert.IsTrue(messages.Any(m => m.StartsWith("4: ", StringComparison.Ordinal) && m.Contains("duplicate step id 'base'", StringComparison.Ordinal)), string.Join("\n", messages));

        f.WriteRecipe("""
            steps:
              - id: base
                kind: create
                size: 1M
              - id: w
                kind: write
                from: base
                pattern: 7
              - id: w2
                kind: write
                from: base
                pattern: 7
                zeroes: true
                length: 1k
            """);
        messages = f.Errors().Select(e => $"{e.Line}: {e.Message}").ToList();
        CollectionAssert.AreEqual(new[]
        {
            "5: step 'w': 'pattern' and 'zeroes' need 'length'",
            "9: step 'w2': give exactly one of 'file', 'pattern' or 'zeroes: true'",
        }, messages);
    }

    [TestMethod]
    public void YamlSyntaxErrorsCarryTheirPlace()
    {
        using var f = new RecipeFixture("steps:\n  - id: a\n    kind: [create\n");
        var e = Single(f);
        Assert.IsGreaterThan(0, e.Line);
        Assert.AreEqual(f.RecipePath, e.File);
    }

    [TestMethod]
    public void VariablesAreSubstitutedAndSetOverridesThem()
    {
        using var f = new RecipeFixture("""
            variables:
              size: 1M
              fmt: raw
            steps:
              - id: base
                kind: create
                format: ${fmt}
                size: ${size}
            """);
        var recipe = f.Load(new Dictionary<string, string> { ["size"] = "2G" });
        Assert.AreEqual(2L << 30, recipe.Steps[0].Number("size"));
        Assert.AreEqual("raw", recipe.Steps[0].Text("format"));
        var e = Single(f, new Dictionary<string, string> { ["sizee"] = "1G" });
        StringAssert.Contains(e.Message, "--set sizee: the recipe declares no variable 'sizee'");
    }

    [TestMethod]
    public void UnknownVariableAndNonImageReferenceAreErrors()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: ${nope}
              - id: m
                kind: measure
                from: base
              - id: r
                kind: resize
                from: m
                size: 2M
            """);
        var messages = f.Errors().Select(e => $"{e.Line}: {e.Message}").ToList();
        Assert.IsTrue(messages.Any(m => m.StartsWith("4: ", StringComparison.Ordinal) && m.Contains("unknown variable 'nope'", StringComparison.Ordinal)), string.Join("\n", messages));
    }

    [TestMethod]
    public void ExampleRecipesAreValidOrOnlyLackEngineFormats()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "recipes");
        foreach (var file in Directory.GetFiles(dir, "*.yaml", SearchOption.AllDirectories))
        {
            // A recipe's secrets come from the environment when it runs: here, each from a variable that is set.
            var secrets = Loading.RecipeLoader.Parse(file, null, Schema.StepKinds.Default).Secrets
                .Select(s => RecipeSecret.FromEnvironment(s.Id, SecretTests.Variable("example"))).ToList();
            try { Loading.RecipeLoader.Load(file, secrets: secrets); }
            catch (RecipeException e)
            {
                // Only missing engine capabilities are acceptable (qcow2 lands separately); never a recipe mistake.
                foreach (var err in e.Errors)
                    StringAssert.Contains(err.Message, "not supported by this engine yet", $"{Path.GetFileName(file)}: {err}");
            }
        }
        Loading.RecipeLoader.Load(Path.Combine(dir, "raw-disk.yaml"));
        Loading.RecipeLoader.Load(Path.Combine(dir, "bench", "multi-gib.yaml"));
        var encrypted = Path.Combine(dir, "encrypted", "encrypted.yaml");
        Assert.AreEqual("DISK_PASSPHRASE", Loading.RecipeLoader.Parse(encrypted, null, Schema.StepKinds.Default).Secrets.Single().Name);
        Loading.RecipeLoader.Load(encrypted, secrets: [RecipeSecret.FromEnvironment("disk-key", SecretTests.Variable("example"))]);
    }

    [TestMethod]
    public void CompressStepValidatesNowThatTheEngineCompresses()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
              - id: small
                kind: compress
                from: base
                type: zstd
            """);
        Assert.IsTrue(Engine.Block.ImageContext.CreateDefault().Formats.Find("qcow2") is { SupportsCompressedWrites: true });
        var errors = f.Errors();
        Assert.IsEmpty(errors, string.Join("\n", errors));
    }

    [TestMethod]
    public void DuplicateKeysAndReservedOutputNamesAreErrors()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1M
                size: 2M
            """);
        var e = Single(f);
        Assert.AreEqual(5, e.Line);
        StringAssert.Contains(e.Message, "Duplicate key size");

        f.WriteRecipe("""
            steps:
              - id: base
                kind: create
                size: 1M
                output: imagebuild-summary.json
            """);
        e = Single(f);
        Assert.AreEqual(5, e.Line);
        StringAssert.Contains(e.Message, "reserved");
    }

    [TestMethod]
    public void TheReadmesFormatExampleIsAValidRecipe()
    {
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "recipes", "README.md"));
        int start = readme.IndexOf("```yaml\n", StringComparison.Ordinal) + 8;
        string yaml = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];
        using var f = new RecipeFixture(yaml, ("content/os-release.txt", "ID=x\n"u8.ToArray()));
        var errors = f.Errors();
        Assert.IsEmpty(errors, string.Join("\n", errors));
        Assert.AreEqual(5, f.Load().Steps.Count);
    }
    /// <summary>Issue 12 defect 3: depth is counted before the recursive loader runs, aliases as deep as their anchor.</summary>
    [TestMethod]
    public void AliasesCountAsDeepAsTheirAnchor()
    {
        // 40 levels anchored, used at depth 31 (mapping, steps, 29 lists): 71 levels once the alias is expanded.
        string deep = new string('[', 40) + new string(']', 40);
        using var f = new RecipeFixture("variables: {v: 1}\nx: &deep " + deep + "\nsteps:\n  - " + new string('[', 29) + "*deep" + new string(']', 29) + "\n");
        var e = Single(f);
        Assert.AreEqual((4, 34), (e.Line, e.Column));
        Assert.AreEqual("the recipe nests mappings and lists more than 64 levels deep", e.Message);
    }

    [TestMethod]
    public void NestingUpToTheLimitIsJudgedByTheSchemaNotTheGuard()
    {
        // The root mapping and the steps list are two of the 64 levels.
        using var f = new RecipeFixture("steps:\n  - " + new string('[', 62) + new string(']', 62) + "\n");
        StringAssert.Contains(Single(f).Message, "a step must be a mapping");
    }
}
