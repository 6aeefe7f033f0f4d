using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// Issue 14: the outputs of steps derived from an existing image are named after its probed format (a write over a
/// qcow2 image is <c>w.qcow2</c>, not <c>w.img</c>), in the plan as in the run.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class DerivedOutputNameTests
{
    private const string Recipe =
        "steps:\n" +
        "  - id: disk\n    kind: image\n    file: images/disk.qcow2\n" +
        "  - id: w\n    kind: write\n    from: disk\n    pattern: 9\n    length: 4k\n" +
        "  - id: big\n    kind: resize\n    from: w\n    size: 2M\n" +
        "  - id: plain\n    kind: image\n    file: images/plain\n" +
        "  - id: p\n    kind: write\n    from: plain\n    pattern: 7\n    length: 4k\n";

    [TestMethod]
    public void OutputsDerivedFromAnImageCarryItsProbedFormatsExtension()
    {
        using var f = new RecipeFixture(Recipe);
        Directory.CreateDirectory(f["images"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", f["images/disk.qcow2"], "1M");
        QemuOracle.ImgOk("create", "-q", "-f", "raw", f["images/plain"], "1M"); // no extension: probed raw

        var plan = f.Plan();
        string OutputOf(string id) => plan.Steps.Single(s => s.Id == id).Output!;
        Assert.AreEqual("w.qcow2", OutputOf("w"));
        Assert.AreEqual("big.qcow2", OutputOf("big"));
        Assert.AreEqual("p.raw", OutputOf("p"));

        var run = f.Run();
        CollectionAssert.AreEquivalent(new[] { "disk", "w", "big", "plain", "p" }, run.Ran(), string.Join("\n", run.Steps));
        StringAssert.Contains(QemuOracle.ImgOk("info", f.Out("big.qcow2")), "file format: qcow2");
        QemuOracle.ImgOk("check", f.Out("big.qcow2"));
        StringAssert.Contains(QemuOracle.ImgOk("info", f.Out("p.raw")), "file format: raw");
        Assert.IsFalse(File.Exists(f.Out("w.img")));
        Assert.IsEmpty(f.Run().Ran(), "a second run has nothing to do");
    }

    [TestMethod]
    public void ARebaseOfARawImageIsRefusedAtValidation()
    {
        using var f = new RecipeFixture(
            "steps:\n  - id: plain\n    kind: image\n    file: images/plain.raw\n  - id: base\n    kind: create\n    size: 1M\n" +
            "  - id: r\n    kind: rebase\n    from: plain\n    backing: base\n");
        Directory.CreateDirectory(f["images"]);
        QemuOracle.ImgOk("create", "-q", "-f", "raw", f["images/plain.raw"], "1M");
        var errors = f.Errors();
        Assert.IsTrue(errors.Any(e => e.Message.Contains("'from: plain' is a raw image, which cannot have a backing file", StringComparison.Ordinal)),
            string.Join("\n", errors));
    }
}
