using ImageBuild.Recipes.Execution;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// Issue 13 in recipes: every file of an existing image is part of its content hash (a qcow2 external data file), and
/// a format the engine cannot read yet fails validation by name instead of being read as raw.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class FormatSupportTests
{
    private const string FlattenRecipe = "steps:\n  - id: disk\n    kind: image\n    file: images/img.qcow2\n  - id: flat\n    kind: convert\n    from: disk\n    format: raw\n";

    [TestMethod]
    public void ChangingOnlyTheExternalDataFileRerunsTheStepsThatReadIt()
    {
        using var f = new RecipeFixture(FlattenRecipe);
        Directory.CreateDirectory(f["images"]);
        string data = f["images/data.raw"];
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", $"data_file={data}", f["images/img.qcow2"], "1M");
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 1 0 64k", f["images/img.qcow2"]);

        var first = f.Run();
        CollectionAssert.AreEqual(new[] { "disk", "flat" }, first.Ran().Order().ToArray(), string.Join("\n", first.Steps));
        Assert.AreEqual(1, File.ReadAllBytes(f.Out("flat.raw"))[0]);

        byte[] qcow2Before = File.ReadAllBytes(f["images/img.qcow2"]);
        using (var fs = new FileStream(data, FileMode.Open, FileAccess.Write))
            fs.Write(Enumerable.Repeat((byte)2, 4096).ToArray());
        File.SetLastWriteTimeUtc(data, File.GetLastWriteTimeUtc(data).AddSeconds(5));
        CollectionAssert.AreEqual(qcow2Before, File.ReadAllBytes(f["images/img.qcow2"]), "only the data file changed");

        var second = f.Run();
        CollectionAssert.Contains(second.Ran(), "flat", string.Join("\n", second.Steps));
        Assert.AreEqual(2, File.ReadAllBytes(f.Out("flat.raw"))[0], "the output reflects the changed data file");
        Assert.IsEmpty(f.Run().Ran(), "and a third run has nothing to do");
    }

    /// <summary>A step that changes a copy of its input never copies one file of a several-file image (the copy would write the input's data file).</summary>
    [TestMethod]
    public void AStepNeverWritesAnInputsDataFileThroughACopy()
    {
        using var f = new RecipeFixture("steps:\n  - id: disk\n    kind: image\n    file: images/img.qcow2\n  - id: w\n    kind: write\n    from: disk\n    pattern: 9\n    length: 4k\n");
        Directory.CreateDirectory(f["images"]);
        string data = f["images/data.raw"];
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", $"data_file={data}", f["images/img.qcow2"], "1M");
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 1 0 64k", f["images/img.qcow2"]);
        byte[] before = File.ReadAllBytes(data);
        var r = f.Run();
        var w = r.Steps.Single(s => s.Id == "w");
        Assert.AreEqual(StepStatus.Failed, w.Status, string.Join("\n", r.Steps));
        StringAssert.Contains(w.Reason, "keeps its data in other files too", w.Reason);
        CollectionAssert.AreEqual(before, File.ReadAllBytes(data), "the input's data file is unchanged");
    }

    [TestMethod]
    public void AnOutputThatNamesOtherFilesFailsItsStep()
    {
        using var f = new RecipeFixture("variables:\n  data: x\nsteps:\n  - id: base\n    kind: create\n    format: qcow2\n    size: 1M\n    options:\n      data_file: ${data}\n");
        var r = f.Run(set: new Dictionary<string, string> { ["data"] = f["elsewhere.raw"] });
        var step = r.Steps.Single();
        Assert.AreEqual(StepStatus.Failed, step.Status);
        StringAssert.Contains(step.Reason, "which is not beside it", step.Reason);
        Assert.IsFalse(File.Exists(f.Out("base.qcow2")), "no output left looking valid");
    }

    /// <summary>
    /// VDI headers carry UUIDs that qemu fills randomly: in a recipe they derive from the step's key, so a run in
    /// another directory writes the same bytes, while two different outputs never share a UUID (VirtualBox refuses
    /// to register two disks with one). qemu-img reads them as it reads its own.
    /// </summary>
    [TestMethod]
    public void VdiOutputsAreReproducibleAndTheirUuidsDistinct()
    {
        const string Recipe = "steps:\n  - id: a\n    kind: create\n    format: vdi\n    size: 4M\n  - id: b\n    kind: create\n    format: vdi\n    size: 4M\n  - id: c\n    kind: convert\n    from: a\n    format: vdi\n";
        using var one = new RecipeFixture(Recipe);
        using var two = new RecipeFixture(Recipe);
        one.Run();
        two.Run();
        foreach (string name in new[] { "a.vdi", "b.vdi", "c.vdi" })
        {
            CollectionAssert.AreEqual(File.ReadAllBytes(one.Out(name)), File.ReadAllBytes(two.Out(name)), $"{name} is the same on every run");
            StringAssert.Contains(QemuOracle.ImgOk("check", "-f", "vdi", one.Out(name)), "No errors were found on the image.");
        }
        var uuids = new[] { "a.vdi", "b.vdi", "c.vdi" }.SelectMany(n => new[] { Uuid(one.Out(n), 0x188), Uuid(one.Out(n), 0x198) }).ToList();
        Assert.AreEqual(uuids.Count, uuids.Distinct().Count(), "every image and snapshot UUID differs: " + string.Join(", ", uuids));
        Assert.IsFalse(uuids.Contains(Guid.Empty));
    }

    private static Guid Uuid(string path, int offset)
    {
        var b = new byte[16];
        using var fs = File.OpenRead(path);
        fs.Position = offset;
        fs.ReadExactly(b);
        return new Guid(b);
    }

    [TestMethod]
    public void AnImageOfAFormatWithoutADriverFailsValidationByName()
    {
        using var f = new RecipeFixture("steps:\n  - id: disk\n    kind: image\n    file: images/disk.img\n  - id: flat\n    kind: convert\n    from: disk\n    format: raw\n")
        { Engine = DriverlessImages.Context() };
        Directory.CreateDirectory(f["images"]);
        DriverlessImages.Write(f["images/disk.img"]);
        var e = f.Errors().Single();
        Assert.AreEqual((4, 11), (e.Line, e.Column), e.ToString());
        Assert.AreEqual($"step 'disk': '{f["images/disk.img"]}': format '{DriverlessImages.Format}' is not supported by this engine yet", e.Message);
        Assert.IsFalse(File.Exists(f.Out("flat.raw")));
    }

    [TestMethod]
    [DataRow("kind: convert\n    from: base\n    format: nodriver", "format: nodriver", "format 'nodriver' is not supported by this engine yet")]
    [DataRow("kind: overlay\n    from: base\n    format: raw", "format: raw", "format 'raw' cannot be written with backing files")]
    [DataRow("kind: compress\n    from: base\n    format: raw", "format: raw", "format 'raw' cannot be written with compressed writes")]
    [DataRow("kind: convert\n    from: base\n    format: nosuch", "format: nosuch", "unknown format 'nosuch'")]
    public void TargetFormatsAreCheckedByCapability(string step, string where, string message)
    {
        string yaml = "steps:\n  - id: base\n    kind: create\n    size: 1M\n  - id: next\n    " + step + "\n";
        using var f = new RecipeFixture(yaml) { Engine = DriverlessImages.Context() };
        var e = f.Errors().Single();
        StringAssert.Contains(e.Message, message, e.ToString());
        int line = Array.FindIndex(yaml.Split('\n'), l => l.Trim() == where) + 1;
        Assert.AreEqual(line, e.Line, e.ToString());
    }
}
