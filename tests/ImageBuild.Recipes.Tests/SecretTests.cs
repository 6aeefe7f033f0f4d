using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Loading;
using ImageBuild.Recipes.Model;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// secrets: each from an environment variable or a file, never from the recipe; options name them by id; the step
/// key covers their identity (id and source), never their value; values appear in no message, event, plan, state
/// or summary; the runner gives each step's engine the secrets it names.
/// </summary>
[TestClass]
public sealed class SecretTests
{
    private const string Passphrase = "hunter2-s3cr3t-passphrase";

    private static string Place(RecipeError e) => $"{e.Line}:{e.Column}: {e.Message}";

    /// <summary>A fresh environment variable name holding <paramref name="value"/> (tests run in parallel in one process).</summary>
    internal static string Variable(string? value)
    {
        string name = "IMAGEBUILD_TEST_SECRET_" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        Environment.SetEnvironmentVariable(name, value);
        return name;
    }

    private static string Recipe(string secrets, string options = "encrypt.key-secret: disk-key") => $"""
        secrets:
        {secrets}
        steps:
          - id: disk
            kind: create
            format: qcow2
            size: 1M
            options:
              {options}
        """;

    [TestMethod]
    public void SecretsComeFromAVariableOrAFileRelativeToTheRecipe()
    {
        string variable = Variable(Passphrase);
        using var f = new RecipeFixture($"""
            secrets:
              disk-key:
                env: {variable}
              other:
                file: keys/other.txt
            steps:
              - id: disk
                kind: create
                size: 1M
            """, ("keys/other.txt", "x"u8.ToArray()));
        var recipe = f.Load();
        Assert.AreEqual(2, recipe.Secrets.Count);
        Assert.AreEqual(new RecipeSecret("disk-key", SecretSourceKind.Environment, variable, f.Dir, new Mark(3, 10)), recipe.Secrets[0]);
        Assert.AreEqual(SecretSourceKind.File, recipe.Secrets[1].Source);
        Assert.AreEqual(f["keys/other.txt"], recipe.Secrets[1].FullPath);
        Assert.AreEqual("other\nfile:keys/other.txt", recipe.Secrets[1].Identity, "the path as written: the same recipe elsewhere has the same identity");
    }

    [TestMethod]
    [DataRow("  disk-key: " + Passphrase, 2, 13, "secret 'disk-key': a secret's value is never written in the recipe; give {env: VARIABLE} or {file: PATH}")]
    [DataRow("  disk-key:\n    value: " + Passphrase, 3, 5, "secret 'disk-key': 'value': a secret's value is never written in the recipe; give {env: VARIABLE} or {file: PATH}")]
    [DataRow("  disk-key:\n    data: " + Passphrase, 3, 5, "secret 'disk-key': 'data': a secret's value is never written in the recipe; give {env: VARIABLE} or {file: PATH}")]
    [DataRow("  disk-key: [" + Passphrase + "]", 2, 13, "secret 'disk-key': a secret's value is never written in the recipe; give {env: VARIABLE} or {file: PATH}")]
    [DataRow("  disk-key:\n    env: A\n    file: " + Passphrase, 4, 5, "secret 'disk-key': give exactly one of 'env' or 'file'")]
    [DataRow("  disk-key: {}", 2, 13, "secret 'disk-key': give {env: VARIABLE} or {file: PATH}")]
    [DataRow("  disk-key:\n    env: ''", 3, 10, "secret 'disk-key': 'env' must name an environment variable")]
    [DataRow("  disk-key:\n    env: A=" + Passphrase, 3, 10, "secret 'disk-key': 'env': 'A=hunter2-s3cr3t-passphrase' is not an environment variable name")]
    [DataRow("  -bad: {env: A}", 2, 3, "secret ids are letters, digits, '.', '_' and '-', starting with a letter or digit")]
    public void AnInlineOrMalformedSecretIsRefusedAtItsLine(string secrets, int line, int column, string message)
    {
        using var f = new RecipeFixture(Recipe(secrets));
        var errors = f.Errors();
        var e = errors.First(x => x.Line == line);
        Assert.AreEqual((line, column, message), (e.Line, e.Column, e.Message), string.Join("\n", errors));
        if (!message.Contains("'env': 'A="))
            foreach (var error in errors)
                Assert.IsFalse(error.ToString().Contains(Passphrase), $"an inline value is never repeated: {error}");
    }

    [TestMethod]
    public void AnOptionNamingNoDeclaredSecretIsRefusedWithoutRepeatingItsValue()
    {
        string variable = Variable("x");
        using var f = new RecipeFixture(Recipe($"  disk-key:\n    env: {variable}", "encrypt.key-secret: " + Passphrase));
        var e = f.Errors().Single();
        Assert.AreEqual((10, 7), (e.Line, e.Column), e.ToString());
        Assert.AreEqual("step 'disk': option 'encrypt.key-secret' must name a secret declared under 'secrets:' (declared: disk-key); a secret's value is never written in the recipe", e.Message);

        using var none = new RecipeFixture("steps:\n  - id: d\n    kind: create\n    format: qcow2\n    size: 1M\n    options:\n      encrypt.key-secret: " + Passphrase + "\n");
        var e2 = none.Errors().Single();
        Assert.AreEqual("7:7: step 'd': option 'encrypt.key-secret' must name a secret declared under 'secrets:' (the recipe declares none); a secret's value is never written in the recipe", Place(e2));
    }

    [TestMethod]
    public void AMissingVariableOrFileIsAnErrorNamingTheSecretAndItsLine()
    {
        string unset = Variable(null);
        using var f = new RecipeFixture(Recipe($"  disk-key:\n    env: {unset}"));
        Assert.AreEqual($"3:10: secret 'disk-key': environment variable '{unset}' is not set", Place(f.Errors().Single()));

        using var g = new RecipeFixture(Recipe("  disk-key:\n    file: keys/nope.txt"));
        Assert.AreEqual($"3:11: secret 'disk-key': file 'keys/nope.txt' does not exist (looked for {g["keys/nope.txt"]})", Place(g.Errors().Single()));

        using var h = new RecipeFixture(Recipe("  disk-key:\n    file: keys"));
        Directory.CreateDirectory(h["keys"]);
        Assert.AreEqual($"3:11: secret 'disk-key': file 'keys' is a directory, not a regular file (recipes never read devices, FIFOs or sockets)", Place(h.Errors().Single()));

        using var big = new RecipeFixture(Recipe("  disk-key:\n    file: big.key"), ("big.key", new byte[Secrets.SecretReader.MaxFileBytes + 1]));
        Assert.AreEqual("3:11: secret 'disk-key': file 'big.key' is larger than 1048576 bytes; a secret file holds a passphrase or key", Place(big.Errors().Single()));
    }

    [TestMethod]
    public void AFifoIsNeverReadAsASecret()
    {
        using var f = new RecipeFixture(Recipe("  disk-key:\n    file: key.fifo"));
        Fifo.Make(f["key.fifo"]);
        Assert.AreEqual($"3:11: secret 'disk-key': file 'key.fifo' is a FIFO, not a regular file (recipes never read devices, FIFOs or sockets)", Place(f.Errors().Single()));
    }

    [TestMethod]
    public void AHostGivenSecretReplacesTheRecipesOfTheSameIdOrAddsOne()
    {
        string unset = Variable(null), set = Variable(Passphrase);
        using var f = new RecipeFixture(Recipe($"  disk-key:\n    env: {unset}"));
        var recipe = RecipeLoader.Load(f.RecipePath, secrets: [RecipeSecret.FromEnvironment("disk-key", set)]);
        Assert.AreEqual(set, recipe.FindSecret("disk-key")!.Name);

        var e = Assert.ThrowsExactly<RecipeException>(() => RecipeLoader.Load(f.RecipePath, secrets: [RecipeSecret.FromFile("extra", "k.txt", f.Dir)])).Errors;
        Assert.AreEqual(2, e.Count, string.Join("\n", e));
        Assert.AreEqual($"secret 'extra': file 'k.txt' does not exist (looked for {f["k.txt"]}) (given by the host)", e[0].Message);
        Assert.AreEqual(0, e[0].Line);
    }

    /// <summary>A create executor standing in for an encrypting driver: it records what the engine gave it.</summary>
    private sealed class Recorder : Steps.IStepExecutor
    {
        public List<string> Values { get; } = [];
        public List<byte[]> KeyMaterial { get; } = [];
        public List<string[]> Ids { get; } = [];

        public Steps.StepResult Execute(Steps.StepContext c)
        {
            lock (this)
            {
                if (c.Step.Id != "disk")
                {
                    Assert.IsFalse(c.Engine.Secrets.Ids.Any(), "a step naming no secret gets none");
                    ImageCreator.Create(c.Engine, new CreateImageRequest { Filename = c.PartialPath!, Format = "raw", Size = 1 << 20 }, formatting: null);
                    return Steps.StepResult.Empty;
                }
                Ids.Add(c.Engine.Secrets.Ids.Order().ToArray());
                Values.Add(c.Engine.Secrets.GetUtf8("disk-key"));
                var material = new byte[64];
                // as the LUKS formatter takes it: the image's identity re-seeded by the passphrase
                c.Engine.Identity.ForImage(c.PartialPath!).ForSecret(c.Engine.Secrets.Get("disk-key")).NewBytes("master-key", material);
                KeyMaterial.Add(material);
            }
            ImageCreator.Create(c.Engine, new CreateImageRequest { Filename = c.PartialPath!, Format = "qcow2", Size = 1 << 20 }, formatting: null);
            return Steps.StepResult.Empty;
        }
    }

    private static RunResult RunWith(RecipeFixture f, Recorder recorder, List<RecipeEvent>? events = null, string? outputDir = null)
    {
        var sinks = new List<IRecipeEventSink>();
        if (events is not null) sinks.Add(new Sink(events));
        return new RecipeRunner(f.Load(), new RunOptions
        {
            OutputDir = outputDir ?? f.OutputDir, Sinks = sinks,
            ExecutorFor = kind => kind == "create" ? recorder : Steps.StepExecutors.For(kind),
        }).Run();
    }

    private sealed class Sink(List<RecipeEvent> events) : IRecipeEventSink
    {
        public void OnEvent(RecipeEvent e) { lock (events) events.Add(e); }
    }

    private static string TwoSecrets(string variable) => $"""
        secrets:
          disk-key:
            env: {variable}
          unused:
            file: other.key
        steps:
          - id: disk
            kind: create
            format: qcow2
            size: 1M
            options:
              encrypt.key-secret: disk-key
          - id: plain
            kind: create
            size: 1M
        """;

    [TestMethod]
    public void TheStepGetsOnlyTheSecretsItNamesAndItsKeyCoversTheirIdentityNotTheirValue()
    {
        string variable = Variable(Passphrase);
        using var f = new RecipeFixture(TwoSecrets(variable), ("other.key", "other"u8.ToArray()));
        var recorder = new Recorder();
        var first = RunWith(f, recorder);
        Assert.IsTrue(first.Succeeded, string.Join("\n", first.Steps.Select(s => s.Reason)));
        Assert.AreEqual(Passphrase, recorder.Values.Single());
        CollectionAssert.AreEqual(new[] { "disk-key" }, recorder.Ids.Single(), "only the secrets the step names");

        // Same identity: up to date, whatever the value now is (the value is never part of the key).
        Environment.SetEnvironmentVariable(variable, "another passphrase");
        var second = RunWith(f, recorder);
        CollectionAssert.AreEqual(new[] { "disk", "plain" }, second.Skipped());

        // Another source is another identity: the step runs, and says which input changed.
        string renamed = Variable("another passphrase");
        f.WriteRecipe(TwoSecrets(renamed));
        var events = new List<RecipeEvent>();
        var third = RunWith(f, recorder, events);
        CollectionAssert.AreEqual(new[] { "disk" }, third.Ran());
        StringAssert.StartsWith(events.Single(e => e.Type == "start").Message, "input 'secret disk-key' changed (");
        Assert.AreEqual("another passphrase", recorder.Values[^1]);
    }

    [TestMethod]
    public void KeyMaterialIsReproducibleWithTheSameSecretAndDependsOnItsValue()
    {
        string variable = Variable(Passphrase);
        using var f = new RecipeFixture(TwoSecrets(variable), ("other.key", "other"u8.ToArray()));
        var recorder = new Recorder();
        Assert.IsTrue(RunWith(f, recorder, outputDir: f["out1"]).Succeeded);
        Assert.IsTrue(RunWith(f, recorder, outputDir: f["out2"]).Succeeded);
        CollectionAssert.AreEqual(recorder.KeyMaterial[0], recorder.KeyMaterial[1], "same recipe, inputs and secret: the same key material");
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(f["out1"], "disk.qcow2")), File.ReadAllBytes(Path.Combine(f["out2"], "disk.qcow2")));

        Environment.SetEnvironmentVariable(variable, "another passphrase");
        Assert.IsTrue(RunWith(f, recorder, outputDir: f["out3"]).Succeeded);
        CollectionAssert.AreNotEqual(recorder.KeyMaterial[0], recorder.KeyMaterial[2],
            "the key material is not computable from the recipe alone: it depends on the secret's value");
    }

    [TestMethod]
    public void NoValueAppearsInEventsPlansStateOrSummary()
    {
        string variable = Variable(Passphrase);
        using var f = new RecipeFixture(TwoSecrets(variable), ("other.key", Passphrase.Select(c => (byte)c).ToArray()));
        var events = new List<RecipeEvent>();
        Assert.IsTrue(RunWith(f, new Recorder(), events).Succeeded);
        var plan = new List<RecipeEvent>();
        new RecipeRunner(f.Load(), new RunOptions { OutputDir = f.OutputDir, Sinks = [new Sink(plan)] }).Plan();
        var text = new StringWriter();
        var json = new JsonLinesEventWriter(text);
        foreach (var e in events.Concat(plan)) json.OnEvent(e);
        Assert.IsTrue(text.ToString().Contains("disk"), text.ToString());
        Assert.IsFalse(text.ToString().Contains(Passphrase), text.ToString());
        foreach (string file in Directory.EnumerateFiles(f.OutputDir, "*", SearchOption.AllDirectories).Where(p => !p.EndsWith(".qcow2") && !p.EndsWith(".raw")))
            Assert.IsFalse(File.ReadAllText(file).Contains(Passphrase), file);
    }

    [TestMethod]
    public void ASecretGoneWhenTheRunStartsFailsOnlyTheStepsUsingItNamingItsPlace()
    {
        string variable = Variable(Passphrase);
        using var f = new RecipeFixture(TwoSecrets(variable), ("other.key", "other"u8.ToArray()));
        var recipe = f.Load();
        Environment.SetEnvironmentVariable(variable, null);
        var result = new RecipeRunner(recipe, new RunOptions { OutputDir = f.OutputDir }).Run();
        Assert.IsFalse(result.Succeeded);
        Assert.AreEqual(StepStatus.Failed, result["disk"].Status);
        Assert.AreEqual($"secret 'disk-key': environment variable '{variable}' is not set (declared at {f.RecipePath}:3:10)", result["disk"].Reason);
        Assert.AreEqual(StepStatus.Ran, result["plain"].Status);
        Assert.IsFalse(File.Exists(f.Out("disk.qcow2")));
    }

    [TestMethod]
    public void TheCommandLineReportsAMissingSecretAtItsLineAndRunsWithItsValueNeverPrinted()
    {
        string variable = Variable(null);
        using var f = new RecipeFixture(TwoSecrets(variable), ("other.key", "other"u8.ToArray()));
        var (code, _, err) = CliTests.Cli("validate", f.RecipePath);
        Assert.AreEqual(2, code);
        Assert.AreEqual($"{f.RecipePath}:3:10: secret 'disk-key': environment variable '{variable}' is not set", err.Split('\n')[0]);

        Environment.SetEnvironmentVariable(variable, Passphrase);
        f.WriteRecipe(TwoSecrets(variable).Replace("format: qcow2", "format: luks").Replace("encrypt.key-secret: disk-key", "key-secret: disk-key\n      iter-time: 10"));
        var (ran, stdout, stderr) = CliTests.Cli("run", f.RecipePath, "--output-dir", f.OutputDir, "--explain", "--verbose", "--events", f["events.jsonl"]);
        Assert.AreEqual(0, ran, stderr);
        StringAssert.Contains(stdout, "done  disk");
        foreach (string text in new[] { stdout, stderr, File.ReadAllText(f["events.jsonl"]) })
            Assert.IsFalse(text.Contains(Passphrase, StringComparison.Ordinal), text);
    }

    [TestMethod]
    public void AHostFileSecretWithoutABaseIsRelativeToTheRequestsBaseDirectory()
    {
        string unset = Variable(null);
        using var f = new RecipeFixture(Recipe($"  disk-key:\n    env: {unset}"), ("keys/host.key", "k"u8.ToArray()));
        var ok = Hosting.RecipeHost.Validate(new Hosting.RecipeRunRequest
        {
            RecipePath = "recipe.yaml", BaseDirectory = f.Dir, Secrets = [RecipeSecret.FromFile("disk-key", "keys/host.key")],
        });
        Assert.IsTrue(ok.Succeeded, string.Join("\n", ok.Diagnostics.Select(d => d.Message)));

        var missing = Hosting.RecipeHost.Validate(new Hosting.RecipeRunRequest
        {
            RecipePath = "recipe.yaml", BaseDirectory = f.Dir, Secrets = [RecipeSecret.FromFile("disk-key", "keys/nope.key")],
        });
        Assert.AreEqual($"secret 'disk-key': file 'keys/nope.key' does not exist (looked for {f["keys/nope.key"]}) (given by the host)", missing.Diagnostics.Single().Message);
        Assert.AreEqual("IMGB1001", missing.Diagnostics.Single().Code);
    }
}
