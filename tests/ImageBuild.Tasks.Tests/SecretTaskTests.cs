using ImageBuild.Tests.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ImageBuild.Tasks.Tests;

/// <summary>
/// Secrets as @(ImageBuildSecret) items: the id as the item, EnvironmentVariable or File metadata saying where the
/// value is. Passed to BuildImageRecipes (replacing a recipe's secret of the same id) and to the operation tasks.
/// </summary>
[TestClass]
public sealed class SecretTaskTests
{
    private const string Passphrase = "msbuild-s3cr3t-passphrase";

    private const string RecipeText = """
        secrets:
          disk-key:
            env: IMAGEBUILD_TEST_NEVER_SET_1f3a
        steps:
          - id: base
            kind: create
            size: 1M
        """;

    private TempDir _dir = null!;
    private FakeBuildEngine _engine = null!;

    [TestInitialize]
    public void Init()
    {
        _dir = new TempDir();
        _engine = new FakeBuildEngine(_dir["Sample.csproj"]);
        File.WriteAllText(_dir["disk.yaml"], RecipeText);
    }

    [TestCleanup]
    public void Cleanup() => _dir.Dispose();

    private static string Variable(string? value)
    {
        string name = "IMAGEBUILD_TEST_SECRET_" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        Environment.SetEnvironmentVariable(name, value);
        return name;
    }

    private static TaskItem Secret(string id, string metadata, string value)
    {
        var item = new TaskItem(id);
        item.SetMetadata(metadata, value);
        return item;
    }

    private bool Build(params ITaskItem[] secrets)
    {
        _engine.Errors.Clear();
        var task = new BuildImageRecipes
        {
            BuildEngine = _engine, ProjectDirectory = _dir.Path, Recipes = [new TaskItem("disk.yaml")],
            OutputRoot = _dir["bin/images"], Secrets = secrets,
        };
        return task.Execute();
    }

    [TestMethod]
    public void AMissingSecretFailsAtItsRecipeLineAndAnItemReplacesIt()
    {
        Assert.IsFalse(Build());
        var error = _engine.Errors.Single();
        Assert.AreEqual(("IMGB1001", 3, 10), (error.Code, error.LineNumber, error.ColumnNumber), _engine.Log);
        Assert.AreEqual("secret 'disk-key': environment variable 'IMAGEBUILD_TEST_NEVER_SET_1f3a' is not set", error.Message);
        Assert.AreEqual(_dir["disk.yaml"], error.File);

        string variable = Variable(Passphrase);
        Assert.IsTrue(Build(Secret("disk-key", "EnvironmentVariable", variable)), _engine.Log);

        File.WriteAllText(_dir["disk.key"], Passphrase);
        Assert.IsTrue(Build(Secret("disk-key", "File", "disk.key")), _engine.Log);
        Assert.IsFalse(_engine.Log.Contains(Passphrase, StringComparison.Ordinal), _engine.Log);

        Assert.IsFalse(Build(Secret("disk-key", "File", "keys/nope.key")));
        Assert.AreEqual($"secret 'disk-key': file 'keys/nope.key' does not exist (looked for {_dir["keys/nope.key"]}) (given by the host)",
            _engine.Errors.Single().Message);
    }

    [TestMethod]
    public void AnItemWithAValueOrWithoutExactlyOneSourceIsRefusedWithoutRepeatingTheValue()
    {
        Assert.IsFalse(Build(Secret("disk-key", "Value", Passphrase)));
        var error = _engine.Errors.Single();
        Assert.AreEqual("IMGB1004", error.Code);
        Assert.AreEqual("secret 'disk-key': a secret's value is never written in the project; give EnvironmentVariable or File metadata", error.Message);

        Assert.IsFalse(Build(new TaskItem("disk-key")));
        Assert.AreEqual("secret 'disk-key': give exactly one of EnvironmentVariable or File metadata", _engine.Errors.Single().Message);

        var both = Secret("disk-key", "File", "a.key");
        both.SetMetadata("EnvironmentVariable", "A");
        Assert.IsFalse(Build(both));
        Assert.AreEqual("secret 'disk-key': give exactly one of EnvironmentVariable or File metadata", _engine.Errors.Single().Message);
        Assert.IsFalse(_engine.Log.Contains(Passphrase, StringComparison.Ordinal));
    }

    [TestMethod]
    public void AnOperationsSecretOptionMustNameOneOfItsSecrets()
    {
        var task = new ImageCreate
        {
            BuildEngine = _engine, ProjectDirectory = _dir.Path, Output = "disk.qcow2", Size = "1M",
            Options = ["encrypt.format=luks", "encrypt.key-secret=" + Passphrase],
        };
        Assert.IsFalse(task.Execute());
        var error = _engine.Errors.Single();
        Assert.AreEqual("IMGB1004", error.Code);
        Assert.AreEqual("step 'create': option 'encrypt.key-secret' must name a secret declared under 'secrets:' (the recipe declares none); a secret's value is never written in the recipe", error.Message);
        Assert.IsFalse(File.Exists(_dir["disk.qcow2"]));
    }

    [TestMethod]
    [RequiresQemu]
    public void ImageCreateMakesALuksImageWithAnEnvironmentSecretAndSkipsWhenAskedAgain()
    {
        string variable = Variable(Passphrase);
        ImageCreate Task() => new()
        {
            BuildEngine = _engine, ProjectDirectory = _dir.Path, Output = "data.luks", Size = "1M",
            Options = ["key-secret=disk-key", "iter-time=10"], Secrets = [Secret("disk-key", "EnvironmentVariable", variable)],
        };
        var first = Task();
        Assert.IsTrue(first.Execute(), _engine.Log);
        Assert.AreEqual("luks", first.OutputItem!.GetMetadata("Format"));
        QemuOracle.IoOk("--object", $"secret,id=k,data={Passphrase}", "--image-opts", $"driver=luks,key-secret=k,file.filename={_dir["data.luks"]}",
            "-c", "read -v 0 512");
        var second = Task();
        Assert.IsTrue(second.Execute(), _engine.Log);
        Assert.IsTrue(second.Skipped, _engine.Log);
        Assert.IsFalse(_engine.Log.Contains(Passphrase, StringComparison.Ordinal), _engine.Log);
    }
}
