using ImageBuild.Engine;
using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Tests.Block;

/// <summary>Issue 14: which format a new image's file extension names, and a given format that contradicts it.</summary>
[TestClass]
public sealed class FormatRegistryExtensionTests
{
    private readonly FormatRegistry _formats = FormatRegistry.CreateDefault();

    [TestMethod]
    [DataRow("qcow2", "qcow2")]
    [DataRow(".qcow2", "qcow2")]
    [DataRow(".QCOW2", "qcow2")]
    [DataRow(".raw", "raw")]
    [DataRow(".qcow", "qcow")]
    [DataRow(".qed", "qed")]
    [DataRow(".vdi", "vdi")]
    public void AWritableFormatsExtensionNamesIt(string extension, string format) =>
        Assert.AreEqual(format, _formats.ForExtension(extension)?.Name);

    [TestMethod]
    [DataRow("")]
    [DataRow(".")]
    [DataRow(".img")]   // bochs's, which is read-only: .img stays free for raw
    [DataRow(".iso")]
    public void OtherExtensionsNameNoFormat(string extension) => Assert.IsNull(_formats.ForExtension(extension));

    [TestMethod]
    public void ANewImageTakesTheGivenFormatElseTheExtensionsElseNone()
    {
        Assert.AreEqual("qcow2", _formats.FormatForNewImage("/out/disk.qcow2", null));
        Assert.AreEqual("qcow2", _formats.FormatForNewImage("/out/disk.qcow2", "qcow2"));
        Assert.AreEqual("qcow2", _formats.FormatForNewImage("/out/disk.img", "qcow2"));
        Assert.IsNull(_formats.FormatForNewImage("/out/disk.img", null));
        Assert.IsNull(_formats.FormatForNewImage("/out/disk", ""));
    }

    [TestMethod]
    public void AGivenFormatTheExtensionContradictsIsRefused()
    {
        var e = Assert.ThrowsExactly<ImageException>(() => _formats.FormatForNewImage("/out/disk.raw", "qcow2"));
        Assert.AreEqual("'/out/disk.raw': format 'qcow2' contradicts the file's extension '.raw', which names raw images; " +
            "give format 'raw' or name the file 'disk.qcow2'", e.Message);
    }
}
