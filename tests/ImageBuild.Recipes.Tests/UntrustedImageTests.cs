using ImageBuild.Recipes.Cli;
using ImageBuild.Recipes.Hosting;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// Issue 12 defect 10 in recipes: a device node or FIFO is never opened as an image (nor read as a file), whatever
/// the setting, and is refused when the recipe is validated; untrusted-images: true (or --untrusted, or the hosts'
/// UntrustedImages) confines what an existing image may name to regular files inside its own directory.
/// </summary>
[TestClass]
public sealed class UntrustedImageTests
{
    private const string ImageRecipe = "steps:\n  - id: disk\n    kind: image\n    file: images/top.qcow2\n  - id: flat\n    kind: convert\n    from: disk\n    format: raw\n";

    /// <summary>images/top.qcow2 naming <paramref name="backing"/> as its raw backing file.</summary>
    private static RecipeFixture WithOverlay(string backing, string recipe = ImageRecipe)
    {
        var f = new RecipeFixture(recipe, ("images/base.raw", new byte[1 << 20]), ("outside/secret.raw", Enumerable.Repeat((byte)9, 1 << 20).ToArray()));
        HostileImages.OverlayNaming(f["images/top.qcow2"], backing);
        return f;
    }


    [TestMethod]
    public void FifoOrDeviceAsAnImageStepsFileIsRefusedAtValidation()
    {
        using var f = new RecipeFixture("steps:\n  - id: a\n    kind: image\n    file: pipe\n  - id: b\n    kind: image\n    file: /dev/zero\n");
        Fifo.Make(f["pipe"]);
        var errors = f.Errors();
        Assert.HasCount(2, errors, string.Join("\n", errors));
        Assert.AreEqual($"{f.RecipePath}:4:11: step 'a': file 'pipe' is a FIFO, not a regular file (recipes never read devices, FIFOs or sockets)", errors[0].ToString());
        Assert.AreEqual($"{f.RecipePath}:7:11: step 'b': file '/dev/zero' is a character device, not a regular file (recipes never read devices, FIFOs or sockets)", errors[1].ToString());
    }

    [TestMethod]
    public void FifoAsContentToWriteIsRefusedAtValidation()
    {
        using var f = new RecipeFixture("steps:\n  - id: a\n    kind: create\n    size: 1M\n  - id: b\n    kind: write\n    from: a\n    file: pipe\n");
        Fifo.Make(f["pipe"]);
        StringAssert.Contains(f.Errors().Single().Message, "file 'pipe' is a FIFO, not a regular file");
    }

    [TestMethod]
    public void DeviceOrFifoAsABackingFileIsRefusedAtValidationWhateverTheSetting()
    {
        using (var f = WithOverlay("/dev/zero"))
        {
            var e = f.Errors().Single();
            Assert.AreEqual((4, 11), (e.Line, e.Column));
            Assert.AreEqual("step 'disk': image 'images/top.qcow2': '/dev/zero' is a character device, not a regular file (devices, FIFOs and sockets are never opened as images here)", e.Message);
        }
        using (var f = WithOverlay("pipe"))
        {
            Fifo.Make(f["images/pipe"]);
            Assert.AreEqual($"step 'disk': image 'images/top.qcow2': 'file' driver requires '{f["images/pipe"]}' to be a regular file", f.Errors().Single().Message);
        }
    }

    [TestMethod]
    public void UntrustedImagesConfinesBackingFilesToTheImagesDirectory()
    {
        using var f = WithOverlay("../outside/secret.raw");
        Assert.IsEmpty(f.Errors(), "trusted by default: the backing file is followed as qemu follows it");
        Assert.IsTrue(f.Run().Succeeded);

        f.WriteRecipe("untrusted-images: true\n" + ImageRecipe);
        var e = f.Errors().Single();
        Assert.AreEqual((5, 11), (e.Line, e.Column));
        Assert.AreEqual($"step 'disk': image 'images/top.qcow2': backing file '{f["images"]}/../outside/secret.raw' named by untrusted image '{f["images/top.qcow2"]}' is outside the image's directory", e.Message);
    }

    [TestMethod]
    public void AnImageStepCanBeUntrustedOnItsOwn()
    {
        using var f = WithOverlay("../outside/secret.raw", ImageRecipe.Replace("file: images/top.qcow2\n", "file: images/top.qcow2\n    untrusted: true\n", StringComparison.Ordinal));
        var e = f.Errors().Single();
        Assert.AreEqual((4, 11), (e.Line, e.Column));
        StringAssert.EndsWith(e.Message, $"named by untrusted image '{f["images/top.qcow2"]}' is outside the image's directory");
    }

    [TestMethod]
    public void UntrustedImagesAcceptsAChainInsideTheDirectory()
    {
        using var f = WithOverlay("base.raw", "untrusted-images: true\n" + ImageRecipe);
        Assert.IsEmpty(f.Errors());
        Assert.IsTrue(f.Run().Succeeded);
    }

    [TestMethod]
    public void CommandLineUntrustedReachesTheRecipe()
    {
        using var f = WithOverlay("../outside/secret.raw");
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.AreEqual(0, RecipeCli.Run("validate", [f.RecipePath], o, e), e.ToString());
        Assert.AreEqual(2, RecipeCli.Run("validate", [f.RecipePath, "--untrusted"], o, e = new StringWriter()));
        StringAssert.StartsWith(e.ToString(), $"{f.RecipePath}:4:11: step 'disk': image 'images/top.qcow2': backing file '{f["images"]}/../outside/secret.raw' named by untrusted image");
    }

    [TestMethod]
    public void HostUntrustedImagesReachesTheEngine()
    {
        using var f = WithOverlay("../outside/secret.raw");
        Assert.IsTrue(RecipeHost.Validate(new RecipeRunRequest { RecipePath = f.RecipePath }).Succeeded);
        var r = RecipeHost.Run(new RecipeRunRequest { RecipePath = f.RecipePath, OutputDir = f.OutputDir, UntrustedImages = true });
        Assert.IsFalse(r.Succeeded);
        var d = r.Diagnostics.Single();
        Assert.AreEqual(DiagnosticCodes.InvalidRecipe, d.Code);
        StringAssert.Contains(d.Message, "is outside the image's directory");

        var op = ImageOperations.Run(new OperationRequest
        {
            Kind = "convert", Input = f["images/top.qcow2"], Output = f["flat.raw"], UntrustedImages = true,
            Parameters = new Dictionary<string, string> { ["format"] = "raw" },
        });
        Assert.IsFalse(op.Succeeded);
        StringAssert.Contains(op.Diagnostics.Single().Message, "named by untrusted image");
        Assert.IsFalse(File.Exists(f["flat.raw"]));
    }
}
