using Cake.Core;
using Cake.ImageBuild.Tests.Fakes;
using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests;

/// <summary>Secrets through settings methods: WithSecretFromEnvironment / WithSecretFromFile, never a value.</summary>
[TestClass]
public sealed class SecretAliasTests
{
    private const string Passphrase = "cake-s3cr3t-passphrase";

    private const string RecipeText = """
        secrets:
          disk-key:
            env: IMAGEBUILD_TEST_NEVER_SET_7c2e
        steps:
          - id: base
            kind: create
            size: 1M
        """;

    private static string Variable(string? value)
    {
        string name = "IMAGEBUILD_TEST_SECRET_" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        Environment.SetEnvironmentVariable(name, value);
        return name;
    }

    [TestMethod]
    public void AMissingSecretFailsAtItsLineAndASettingReplacesIt()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], RecipeText);
        var context = new FakeCakeContext(dir.Path);

        var missing = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" }));
        Assert.AreEqual($"ImageBuildRecipe '{dir["r.yaml"]}' failed: {dir["r.yaml"]}:3:10: secret 'disk-key': environment variable 'IMAGEBUILD_TEST_NEVER_SET_7c2e' is not set [IMGB1001]", missing.Message);

        string variable = Variable(Passphrase);
        var ran = context.ImageBuildRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" }.WithSecretFromEnvironment("disk-key", variable));
        Assert.AreEqual(1, ran.RanCount);

        File.WriteAllText(dir["disk.key"], Passphrase);
        var planned = context.ImageBuildPlanRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" }.WithSecretFromFile("disk-key", "disk.key"));
        Assert.AreEqual(1, planned.SkippedCount);
        Assert.IsFalse(context.CapturedLog.Text.Contains(Passphrase, StringComparison.Ordinal), context.CapturedLog.Text);

        var noFile = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildRecipe("r.yaml",
            new ImageBuildRecipeSettings { OutputDirectory = "out" }.WithSecretFromFile("disk-key", "nope.key")));
        StringAssert.Contains(noFile.Message, $"secret 'disk-key': file 'nope.key' does not exist (looked for {dir["nope.key"]}) (given by the host) [IMGB1001]");
    }

    [TestMethod]
    public void ASettingWithoutExactlyOneSourceFailsTheAlias()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], RecipeText);
        var context = new FakeCakeContext(dir.Path);
        var settings = new ImageBuildRecipeSettings { OutputDirectory = "out" };
        settings.Secrets.Add(new ImageBuildSecret("disk-key", "A", "a.key"));
        var both = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildRecipe("r.yaml", settings));
        Assert.AreEqual($"ImageBuildRecipe '{dir["r.yaml"]}' failed: secret 'disk-key': give exactly one of an environment variable or a file [IMGB1004]", both.Message);

        var operation = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildCreate("disk.qcow2", "1M",
            new ImageBuildCreateSettings().WithSecretFromEnvironment("bad id", "A")));
        StringAssert.Contains(operation.Message, "secret 'bad id': ids are letters, digits, '.', '_' and '-', starting with a letter or digit [IMGB1004]");
        Assert.IsFalse(File.Exists(dir["disk.qcow2"]));
    }

    /// <summary>The README's operation: a LUKS image created by ImageBuildCreate with a file secret, which qemu-io opens; skipped when asked again.</summary>
    [TestMethod]
    [RequiresQemu]
    public void ImageBuildCreateMakesALuksImageWithAFileSecret()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["keys"]);
        File.WriteAllText(dir["keys/disk.key"], Passphrase);
        var context = new FakeCakeContext(dir.Path);
        ImageBuildCreateSettings Settings() => new ImageBuildCreateSettings { Format = "luks", Options = { ["key-secret"] = "disk-key", ["iter-time"] = "10" } }
            .WithSecretFromFile("disk-key", "keys/disk.key");

        var created = context.ImageBuildCreate("data.luks", "1M", Settings());
        Assert.AreEqual(ImageBuildStepStatus.Ran, created.Status);
        Assert.AreEqual("luks", created.Format);
        QemuOracle.IoOk("--object", $"secret,id=k,file={dir["keys/disk.key"]}", "--image-opts", $"driver=luks,key-secret=k,file.filename={dir["data.luks"]}",
            "-c", "write -P 0x17 0 4k", "-c", "read -P 0x17 0 4k");
        Assert.IsFalse(context.CapturedLog.Text.Contains(Passphrase, StringComparison.Ordinal), context.CapturedLog.Text);

        var missing = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildCreate("other.luks", "1M",
            new ImageBuildCreateSettings { Format = "luks", Options = { ["key-secret"] = "disk-key" } }));
        StringAssert.Contains(missing.Message, "option 'key-secret' must name a secret declared under 'secrets:'");
        Assert.IsFalse(File.Exists(dir["other.luks"]));
    }
}
