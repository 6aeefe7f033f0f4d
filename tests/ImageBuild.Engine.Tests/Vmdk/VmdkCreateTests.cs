using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>Create without qemu: the CID comes from the context's identity (reproducible), every subformat's files.</summary>
[TestClass]
public sealed class VmdkCreateTests
{
    private static void Create(ImageContext ctx, string path, string subformat, long size = 3 << 20) =>
        ImageCreator.Create(ctx, new CreateImageRequest
        {
            Filename = path, Format = "vmdk", Size = size, Options = [new("subformat", subformat)],
        }, null);

    private static ImageContext Ctx(string seed) =>
        new ImageContext(FormatRegistry.CreateDefault()).WithIdentity(IdentitySource.Reproducible(seed, DateTimeOffset.UnixEpoch));

    [TestMethod]
    [DataRow("monolithicSparse")]
    [DataRow("monolithicFlat")]
    [DataRow("twoGbMaxExtentSparse")]
    [DataRow("twoGbMaxExtentFlat")]
    [DataRow("streamOptimized")]
    public void TheSameSeedGivesTheSameBytesAndAnotherSeedAnotherCid(string subformat)
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        Create(Ctx("one"), a["d.vmdk"], subformat);
        Create(Ctx("one"), b["d.vmdk"], subformat);
        Create(Ctx("two"), c["d.vmdk"], subformat);
        var names = Directory.GetFiles(a.Path).Select(Path.GetFileName).Order().ToArray();
        CollectionAssert.AreEqual(names, Directory.GetFiles(b.Path).Select(Path.GetFileName).Order().ToArray());
        foreach (string? n in names)
            CollectionAssert.AreEqual(File.ReadAllBytes(a[n!]), File.ReadAllBytes(b[n!]), $"{subformat}: {n}");
        string Cid(TempDir d)
        {
            byte[] bytes = File.ReadAllBytes(d["d.vmdk"]);
            string text = Encoding.Latin1.GetString(bytes);
            int at = text.IndexOf("\nCID=", StringComparison.Ordinal);
            Assert.IsTrue(at >= 0, $"{subformat}: a CID line");
            return text[(at + 5)..text.IndexOf('\n', at + 1)];
        }
        Assert.AreNotEqual(Cid(a), Cid(c), "another seed, another CID");
        Assert.AreEqual(Cid(a), Cid(b));
        int expectedFiles = subformat is "monolithicSparse" or "streamOptimized" ? 1 : 2;
        Assert.AreEqual(expectedFiles, names.Length, string.Join(", ", names));
    }

    [TestMethod]
    [DataRow("subformat=monolithicFlat,zeroed_grain=on", "Flat image can't enable zeroed grain")]
    [DataRow("compat6=on,hwversion=7", "compat6 cannot be enabled with hwversion set")]
    [DataRow("adapter_type=scsi", "invalid parameter value: scsi")]
    [DataRow("subformat=vmfs", "invalid parameter value: vmfs")]
    [DataRow("backing_fmt=qcow2", "backing_file must be a vmdk image")]
    public void RefusalsCarryQemusMessages(string options, string message)
    {
        using var tmp = new TempDir();
        var pairs = options.Split(',').Select(p => p.Split('=')).Select(p => new KeyValuePair<string, string>(p[0], p[1])).ToList();
        var e = Assert.ThrowsExactly<ImageException>(() => ImageCreator.Create(Ctx("x"), new CreateImageRequest
        {
            Filename = tmp["d.vmdk"], Format = "vmdk", Size = 1 << 20, Options = pairs,
        }, null));
        Assert.AreEqual($"{tmp["d.vmdk"]}: {message}", e.Message);
    }
}
