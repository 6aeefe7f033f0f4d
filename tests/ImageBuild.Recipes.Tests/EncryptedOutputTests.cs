using System.Text.Json;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// Encrypted outputs end to end: a recipe's luks images, created blank or converted from content, read by qemu-img
/// with the secret's value (and refused with another); byte-identical across runs with the same secret.
/// </summary>
[TestClass]
public sealed class EncryptedOutputTests
{
    private const string Passphrase = "recipe-luks-passphrase";

    private static string Recipe(string variable) => $"""
        secrets:
          disk-key:
            env: {variable}
          file-key:
            file: keys/disk.key
        steps:
          - id: base
            kind: create
            size: 2M
          - id: content
            kind: write
            from: base
            offset: 1M
            pattern: 0x5a
            length: 64k
          - id: sealed
            kind: convert
            from: content
            format: luks
            output: sealed.luks
            options:
              key-secret: disk-key
              iter-time: 10
          - id: blank
            kind: create
            format: luks
            size: 1M
            options:
              key-secret: file-key
              cipher-alg: aes-128
              iter-time: 10
        """;

    private static RecipeFixture Fixture(string variable) =>
        new(Recipe(variable), ("keys/disk.key", "file passphrase\n"u8.ToArray()));

    private static string[] Secret(string id, string value) => ["--object", $"secret,id={id},data={value}"];

    private static string[] ImageOpts(string id, string path) => ["--image-opts", $"driver=luks,key-secret={id},file.filename={path}"];

    [TestMethod]
    [RequiresQemu]
    public void QemuImgReadsTheEncryptedOutputsWithTheSecretsAndRefusesAnotherPassphrase()
    {
        string variable = SecretTests.Variable(Passphrase);
        using var f = Fixture(variable);
        var run = f.Run();
        Assert.IsTrue(run.Succeeded, string.Join("\n", run.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        Assert.AreEqual("luks", run["sealed"].Format);

        // The content step's data, encrypted by the convert step and decrypted by qemu-img, is what was written.
        string plain = f["plain.raw"];
        QemuOracle.ImgOk(["convert", .. Secret("s", Passphrase), .. ImageOpts("s", f.Out("sealed.luks")), "-O", "raw", plain]);
        CollectionAssert.AreEqual(File.ReadAllBytes(f.Out("content.raw")), File.ReadAllBytes(plain));
        QemuOracle.IoOk("-f", "raw", "-c", "read -P 0x5a 1M 64k", plain);

        var info = JsonDocument.Parse(QemuOracle.ImgOk("info", "--output=json", f.Out("blank.luks"))).RootElement;
        Assert.AreEqual("luks", info.GetProperty("format").GetString());
        Assert.IsTrue(info.GetProperty("encrypted").GetBoolean());
        Assert.AreEqual("aes-128", info.GetProperty("format-specific").GetProperty("data").GetProperty("cipher-alg").GetString());
        // A file secret is its bytes as they are, the newline included, as qemu's secret,file= reads them.
        QemuOracle.IoOk("--object", $"secret,id=s,file={f["keys/disk.key"]}", "--image-opts", $"driver=luks,key-secret=s,file.filename={f.Out("blank.luks")}",
            "-c", "write -P 0x33 0 4k", "-c", "read -P 0x33 0 4k");

        var wrong = QemuOracle.Img(["convert", .. Secret("s", "not the passphrase"), .. ImageOpts("s", f.Out("sealed.luks")), "-O", "raw", f["wrong.raw"]]);
        Assert.AreNotEqual(0, wrong.ExitCode);
        StringAssert.Contains(wrong.StdErr, "Invalid password, cannot unlock any keyslot");
    }

    [TestMethod]
    public void EncryptedOutputsAreByteIdenticalAcrossRunsAndDifferWithAnotherPassphrase()
    {
        string variable = SecretTests.Variable(Passphrase);
        using var a = Fixture(variable);
        using var b = Fixture(variable);
        Assert.IsTrue(a.Run(jobs: 1).Succeeded);
        Assert.IsTrue(b.Run(jobs: 2).Succeeded);
        foreach (string name in new[] { "sealed.luks", "blank.luks" })
            CollectionAssert.AreEqual(File.ReadAllBytes(a.Out(name)), File.ReadAllBytes(b.Out(name)), name);

        string other = SecretTests.Variable("another passphrase");
        using var c = Fixture(other);
        Assert.IsTrue(c.Run().Succeeded);
        CollectionAssert.AreNotEqual(File.ReadAllBytes(a.Out("sealed.luks")), File.ReadAllBytes(c.Out("sealed.luks")),
            "another passphrase: another master key, salts and key slot");
        CollectionAssert.AreEqual(File.ReadAllBytes(a.Out("blank.luks")), File.ReadAllBytes(c.Out("blank.luks")),
            "the file secret is the same in both: the same image");
        foreach (string file in Directory.EnumerateFiles(a.OutputDir, "*", SearchOption.AllDirectories).Where(p => p.EndsWith(".json")))
            Assert.IsFalse(File.ReadAllText(file).Contains(Passphrase), file);
    }

    [TestMethod]
    public void AStepReadingAnEncryptedOutputIsRefusedAtValidation()
    {
        string variable = SecretTests.Variable(Passphrase);
        using var f = new RecipeFixture(Recipe(variable) + """

              - id: measured
                kind: measure
                from: sealed
            """, ("keys/disk.key", "k"u8.ToArray()));
        var e = f.Errors().Single();
        Assert.AreEqual(Recipe(variable).Split('\n').Length + 3, e.Line, e.ToString());
        Assert.AreEqual(11, e.Column);
        Assert.AreEqual("step 'measured': 'from: sealed' is an encrypted image; steps cannot read encrypted images yet (use it as a final output)", e.Message);
    }

    /// <summary>recipes/encrypted/encrypted.yaml, run as its comment says (DISK_PASSPHRASE set; a short iter-time for the test).</summary>
    [TestMethod]
    [RequiresQemu]
    public void TheEncryptedExampleRunsAndQemuImgOpensItsDiskWithThePassphrase()
    {
        using var tmp = new TempDir();
        string src = Path.Combine(AppContext.BaseDirectory, "recipes");
        foreach (var file in Directory.GetFiles(src, "*", SearchOption.AllDirectories))
        {
            string dst = Path.Combine(tmp.Path, Path.GetRelativePath(src, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dst)!);
            File.Copy(file, dst);
        }
        const string passphrase = "correct horse battery staple";
        Environment.SetEnvironmentVariable("DISK_PASSPHRASE", passphrase);
        var set = new Dictionary<string, string> { ["iter-time"] = "10", ["size"] = "4M" };
        var recipe = Loading.RecipeLoader.Load(Path.Combine(tmp.Path, "encrypted", "encrypted.yaml"), set);
        var run = new Execution.RecipeRunner(recipe, new Execution.RunOptions { OutputDir = tmp["out"] }).Run();
        Assert.IsTrue(run.Succeeded, string.Join("; ", run.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        string disk = Path.Combine(tmp["out"], "data.luks");
        var info = JsonDocument.Parse(QemuOracle.ImgOk(["info", "--output=json", .. Secret("k", passphrase), .. ImageOpts("k", disk)])).RootElement;
        Assert.AreEqual(4L << 20, info.GetProperty("virtual-size").GetInt64());
        Assert.AreEqual("sha256", info.GetProperty("format-specific").GetProperty("data").GetProperty("hash-alg").GetString());
        QemuOracle.IoOk([.. Secret("k", passphrase), .. ImageOpts("k", disk), "-c", "write -P 0x61 0 64k", "-c", "read -P 0x61 0 64k"]);
        var again = new Execution.RecipeRunner(Loading.RecipeLoader.Load(Path.Combine(tmp.Path, "encrypted", "encrypted.yaml"), set), new Execution.RunOptions { OutputDir = tmp["out"] }).Run();
        Assert.AreEqual(Execution.StepStatus.Ran, again["data"].Status, "qemu-io changed the output: rebuilt");
    }

    [TestMethod]
    public void AStepReadingAnExistingLuksImageIsRefusedAtValidation()
    {
        string variable = SecretTests.Variable(Passphrase);
        using var made = Fixture(variable);
        Assert.IsTrue(made.Run().Succeeded);
        using var f = new RecipeFixture("steps:\n  - id: disk\n    kind: image\n    file: disk.img\n  - id: flat\n    kind: convert\n    from: disk\n    format: raw\n");
        File.Copy(made.Out("blank.luks"), f["disk.img"]);
        var e = f.Errors().Single();
        Assert.AreEqual((7, 11), (e.Line, e.Column), e.ToString());
        Assert.AreEqual("step 'flat': 'from: disk' is an encrypted image; steps cannot read encrypted images yet (use it as a final output)", e.Message);
    }

    [TestMethod]
    [RequiresQemu]
    public void AStepReadingAnExistingEncryptedQcow2IsRefusedAtValidationAndAPlainOneIsNot()
    {
        using var f = new RecipeFixture("steps:\n  - id: disk\n    kind: image\n    file: disk.qcow2\n  - id: flat\n    kind: convert\n    from: disk\n    format: raw\n");
        File.WriteAllText(f["key.txt"], "not in the recipe");
        // legacy AES: no key-slot benchmark, so qemu-img makes it at once
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "--object", $"secret,id=k,file={f["key.txt"]}",
            "-o", "encrypt.format=aes,encrypt.key-secret=k", f["disk.qcow2"], "1M");
        var e = f.Errors().Single();
        Assert.AreEqual((7, 11), (e.Line, e.Column), e.ToString());
        StringAssert.Contains(e.Message, "'from: disk' is an encrypted image");

        File.Delete(f["disk.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", f["disk.qcow2"], "1M");
        Assert.AreEqual(0, f.Errors().Count, "a plain qcow2 is read as before");
    }
}
