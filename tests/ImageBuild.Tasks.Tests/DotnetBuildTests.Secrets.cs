using ImageBuild.Tests.Shared;

namespace ImageBuild.Tasks.Tests;

public sealed partial class DotnetBuildTests
{
    private const string SecretRecipe = """
        secrets:
          disk-key:
            env: IMAGEBUILD_TEST_REPLACED_BY_THE_ITEM
        steps:
          - id: data
            kind: create
            format: luks
            size: 1M
            options:
              key-secret: disk-key
              iter-time: 10
        """;

    /// <summary>
    /// @(ImageBuildSecret) reaches the recipe through the targets: missing, the build fails naming the secret; set,
    /// the build makes a LUKS image qemu-img opens with the passphrase, and the passphrase is in no line of the log.
    /// </summary>
    [TestMethod]
    [RequiresQemu]
    public void AnImageBuildSecretItemGivesTheRecipeItsPassphrase()
    {
        string variable = "IMAGEBUILD_TEST_DOTNET_SECRET_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        string dir = Project("Secret", $"""
              <ItemGroup>
                <ImageRecipe Include="images/secret.yaml" />
                <ImageBuildSecret Include="disk-key" EnvironmentVariable="{variable}" />
              </ItemGroup>
            """);
        File.WriteAllText(Path.Combine(dir, "images", "secret.yaml"), SecretRecipe);

        var missing = _feed.Build(dir);
        Assert.AreNotEqual(0, missing.ExitCode, missing.StdOut);
        StringAssert.Contains(missing.StdOut, $"error IMGB1001: secret 'disk-key': environment variable '{variable}' is not set (given by the host)");

        const string passphrase = "dotnet-build-luks-passphrase";
        Environment.SetEnvironmentVariable(variable, passphrase);
        try
        {
            var built = _feed.Build(dir);
            AssertBuilt(built, "build with the secret's variable set");
            Assert.IsFalse((built.StdOut + built.StdErr).Contains(passphrase, StringComparison.Ordinal), built.StdOut);
            string image = Path.Combine(dir, "bin", "Debug", "net10.0", "images", "secret", "data.luks");
            QemuOracle.IoOk("--object", $"secret,id=k,data={passphrase}", "--image-opts", $"driver=luks,key-secret=k,file.filename={image}",
                "-c", "write -P 0x42 0 4k", "-c", "read -P 0x42 0 4k");
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
