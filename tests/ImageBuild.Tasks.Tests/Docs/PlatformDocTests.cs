using System.Text.Json;
using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Cli;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Tasks.Tests.Docs;

/// <summary>
/// The platform recipe of recipes/README.md ("Images for platforms"), as pasted: planned and run through the same
/// entry point as <c>imagebuild plan|run</c>, and its outputs checked against what its comments say. A step whose
/// format has no driver yet must be refused by name, as the README says of such formats.
/// </summary>
[TestClass]
public sealed class PlatformDocTests
{
    private static bool HasDriver(string format) => FormatRegistry.CreateDefault().Find(format) is { } f and not UnsupportedFormat;

    private static (int Code, string Out, string Err) Cli(string verb, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        int code = RecipeCli.Run(verb, args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [TestMethod]
    [RequiresQemu]
    public void PlatformRecipeRunsAsPastedAndWritesWhatItsCommentsSay()
    {
        using var tmp = new TempDir();
        string recipe = tmp["platforms.yaml"];
        File.WriteAllText(recipe, DocBlocks.Single(DocBlocks.RecipesReadme(), "platform-recipe").Text);
        string output = tmp["out"];
        var missing = new[] { "vpc", "vhdx" }.Where(f => !HasDriver(f)).ToList();
        if (missing.Count > 0)
        {
            var refused = Cli("validate", recipe);
            Assert.AreEqual(2, refused.Code, refused.Err);
            foreach (string format in missing)
                StringAssert.Contains(refused.Err, $"format '{format}' is not supported by this engine yet", refused.Err);
            return;
        }
        var plan = Cli("plan", recipe, "--output-dir", output);
        Assert.AreEqual(0, plan.Code, plan.Err);
        StringAssert.Contains(plan.Out, "writes a fixed VHD of 39 MiB (40894464 bytes; file 40894976 bytes) from 40000000 bytes, rounded up to whole MiB");
        StringAssert.Contains(plan.Out, "writes a dynamic VHDX (40000000 bytes, 2048 KiB blocks, 512/4096 logical/physical sectors)");
        var run = Cli("run", recipe, "--output-dir", output);
        Assert.AreEqual(0, run.Code, run.Out + run.Err);

        string vhd = Path.Combine(output, "azure.vhd");
        Assert.AreEqual(40894976L, new FileInfo(vhd).Length);
        Assert.AreEqual(40894464L, Info("-f", "vpc", vhd).GetProperty("virtual-size").GetInt64());
        string vhdx = Path.Combine(output, "hyperv.vhdx");
        var info = Info("-f", "vhdx", vhdx);
        Assert.AreEqual(2L << 20, info.GetProperty("cluster-size").GetInt64(), "block-size: 2M");
        foreach (string image in new[] { vhd, vhdx })
            Assert.AreEqual(0, QemuOracle.Img("compare", "-F", Path.GetExtension(image) == ".vhd" ? "vpc" : "vhdx", Path.Combine(output, "disk.raw"), image).ExitCode, image);
    }

    private static JsonElement Info(params string[] args) => JsonDocument.Parse(QemuOracle.ImgOk(["info", "--output=json", .. args])).RootElement.Clone();
}
