using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>imagebuild bitmap against qemu-img bitmap on twin copies, and persistent bitmaps kept up to date by our writes.</summary>
[TestClass]
[RequiresQemu]
public sealed class BitmapTests
{
    /// <summary>fresh.qcow2 without bitmaps; qemu.qcow2 with two qemu-made bitmaps (b1 disabled, 4k) holding dirty bits; v2 and raw images.</summary>
    private static TempDir Images()
    {
        var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["fresh.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write 0 64k", tmp["fresh.qcow2"]);
        File.Copy(tmp["fresh.qcow2"], tmp["qemu.qcow2"]);
        QemuOracle.ImgOk("bitmap", "--add", tmp["qemu.qcow2"], "b0");
        QemuOracle.ImgOk("bitmap", "--add", "-g", "4k", tmp["qemu.qcow2"], "b1");
        QemuOracle.IoOk("-c", "write 128k 64k", "-c", "write 1M 4k", tmp["qemu.qcow2"]);
        QemuOracle.ImgOk("bitmap", "--disable", tmp["qemu.qcow2"], "b1");
        QemuOracle.IoOk("-c", "write 2M 64k", tmp["qemu.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["src.qcow2"], "4M");
        QemuOracle.ImgOk("bitmap", "--add", "-g", "16k", tmp["src.qcow2"], "s0");
        QemuOracle.IoOk("-c", "write 100k 300k", tmp["src.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", "compat=0.10", tmp["v2.qcow2"], "1M");
        QemuOracle.ImgOk("create", "-q", "-f", "raw", tmp["r.raw"], "1M");
        return tmp;
    }

    private static readonly string[] Files = ["fresh.qcow2", "qemu.qcow2", "src.qcow2", "v2.qcow2", "r.raw"];

    [TestMethod]
    [DataRow("fresh.qcow2", "b0", "--add")]
    [DataRow("fresh.qcow2", "b0", "--add -g 128k --disable")]
    [DataRow("fresh.qcow2", "b0", "--add --add")]
    [DataRow("qemu.qcow2", "b0", "--remove")]
    [DataRow("qemu.qcow2", "b1", "--remove --add")]
    [DataRow("qemu.qcow2", "b0", "--clear")]
    [DataRow("qemu.qcow2", "b0", "--disable")]
    [DataRow("qemu.qcow2", "b1", "--enable")]
    [DataRow("qemu.qcow2", "b0", "--merge b1")]
    [DataRow("qemu.qcow2", "b1", "--merge b0")]
    [DataRow("qemu.qcow2", "b2", "--add --merge b1 --disable")]
    [DataRow("qemu.qcow2", "bx", "--add -b src.qcow2 -F qcow2 --merge s0")]
    [DataRow("qemu.qcow2", "b0", "-b src.qcow2 --merge s0 --merge b1")]
    [DataRow("qemu.qcow2", "bx", "--add -b qemu.qcow2 --merge b1")]
    [DataRow("qemu.qcow2", "b0", "--add")]
    public void ActionsMatchQemu(string image, string bitmap, string actions)
    {
        using var tmp = Images();
        var args = new List<string> { "bitmap" };
        args.AddRange(actions.Split(' '));
        args.Add(image);
        args.Add(bitmap);
        var (q, i, _) = TwinImages.Run(tmp, Files, [.. args]);
        TwinImages.AssertSameImage(Path.Combine(q, image), Path.Combine(i, image), sameBytes: true);
        CollectionAssert.AreEquivalent(TwinImages.BitmapBits(Path.Combine(q, image)).Keys, TwinImages.BitmapBits(Path.Combine(i, image)).Keys);
        var human = QemuOracle.ImgOk("info", Path.Combine(q, image));
        Assert.AreEqual(human.Replace(q, i, StringComparison.Ordinal), QemuOracle.ImgOk("info", Path.Combine(i, image)));
    }

    [TestMethod]
    [DataRow("--add -g 3000 fresh.qcow2 a")]
    [DataRow("--add -g 256 fresh.qcow2 a")]
    [DataRow("--add -g 4G fresh.qcow2 a")]
    [DataRow("--add -g abc fresh.qcow2 a")]
    [DataRow("--remove qemu.qcow2 nope")]
    [DataRow("--merge nope qemu.qcow2 b0")]
    [DataRow("--clear fresh.qcow2 nope")]
    [DataRow("--add v2.qcow2 a")]
    [DataRow("--add -f raw r.raw a")]
    [DataRow("--remove -f raw r.raw a")]
    [DataRow("qemu.qcow2 b0")]
    [DataRow("--add qemu.qcow2")]
    [DataRow("--remove -g 1M qemu.qcow2 b0")]
    [DataRow("--add -F qcow2 qemu.qcow2 a")]
    [DataRow("--add -b x qemu.qcow2 a")]
    [DataRow("--add --bogus qemu.qcow2 a")]
    [DataRow("-b src.qcow2 --merge nope qemu.qcow2 b0")]
    public void ErrorsMatchQemu(string args)
    {
        using var tmp = Images();
        var (_, _, rc) = TwinImages.Run(tmp, Files, ["bitmap", .. args.Split(' ')]);
        Assert.AreEqual(1, rc);
    }

    [TestMethod]
    public void EmptyAndLongNamesMatchQemu()
    {
        using var tmp = Images();
        TwinImages.Run(tmp, Files, "bitmap", "--add", "fresh.qcow2", "");
        var (q, i, _) = TwinImages.Run(tmp, Files, "bitmap", "--add", "fresh.qcow2", new string('x', 1023));
        TwinImages.AssertSameImage(Path.Combine(q, "fresh.qcow2"), Path.Combine(i, "fresh.qcow2"), sameBytes: true);
        TwinImages.Run(tmp, Files, "bitmap", "--add", "fresh.qcow2", new string('x', 1024));
    }

    /// <summary>Bitmaps created by us are read back by qemu (info human and JSON, check) and modified by qemu-img.</summary>
    [TestMethod]
    public void QemuReadsAndModifiesOurBitmaps()
    {
        using var tmp = Images();
        var r = TwinImages.Ours(tmp.Path, "bitmap", "--add", "-g", "512", "fresh.qcow2", "mine");
        Assert.AreEqual(0, r.Rc, r.Err);
        string info = QemuOracle.ImgOk("info", tmp["fresh.qcow2"]);
        StringAssert.Contains(info, "            name: mine\n            granularity: 512\n");
        QemuOracle.IoOk("-c", "write 512 512", tmp["fresh.qcow2"]);
        QemuOracle.ImgOk("bitmap", "--disable", tmp["fresh.qcow2"], "mine");
        var bits = TwinImages.BitmapBits(tmp["fresh.qcow2"])["mine"];
        Assert.AreEqual(0x02, bits[0], "qemu recorded its write in our bitmap");
        r = TwinImages.Ours(tmp.Path, "info", "--output=json", "fresh.qcow2");
        Assert.AreEqual(QemuOracle.ImgOk("info", "--output=json", tmp["fresh.qcow2"]).Replace(tmp.Path + "/", "", StringComparison.Ordinal),
            r.Out.Replace(tmp.Path + "/", "", StringComparison.Ordinal).Replace("\"actual-size\": ", "\"actual-size\": ", StringComparison.Ordinal));
    }

    /// <summary>Our writes (commit into a base with bitmaps), and resize, record into enabled bitmaps exactly as qemu's do.</summary>
    [TestMethod]
    public void WritesAndResizeDirtyBitmapsAsQemu()
    {
        using var tmp = Images();
        foreach (var side in new[] { "q", "i" })
        {
            Directory.CreateDirectory(tmp[side]);
            File.Copy(tmp["qemu.qcow2"], Path.Combine(tmp[side], "base.qcow2"));
            QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", Path.Combine(tmp[side], "top.qcow2"));
            QemuOracle.IoOk("-c", "write -P 7 1536k 200k", "-c", "write -z 3M 64k", Path.Combine(tmp[side], "top.qcow2"));
        }
        QemuOracle.Run(QemuOracle.QemuImg, ["commit", "-q", "top.qcow2"], tmp["q"]);
        var r = TwinImages.Ours(tmp["i"], "commit", "-q", "top.qcow2");
        Assert.AreEqual(0, r.Rc, r.Err);
        string qb = Path.Combine(tmp["q"], "base.qcow2"), ib = Path.Combine(tmp["i"], "base.qcow2");
        TwinImages.AssertSameImage(qb, ib, sameBytes: false);
        AssertSameBits(qb, ib);

        QemuOracle.Run(QemuOracle.QemuImg, ["resize", "-q", "base.qcow2", "9M"], tmp["q"]);
        r = TwinImages.Ours(tmp["i"], "resize", "-q", "base.qcow2", "9M");
        Assert.AreEqual(0, r.Rc, r.Err);
        TwinImages.AssertSameImage(qb, ib, sameBytes: false);
        AssertSameBits(qb, ib);
    }

    private static void AssertSameBits(string q, string i)
    {
        var a = TwinImages.BitmapBits(q);
        var b = TwinImages.BitmapBits(i);
        CollectionAssert.AreEquivalent(a.Keys, b.Keys);
        foreach (var (name, bits) in a)
            CollectionAssert.AreEqual(bits, b[name], $"bits of {name}");
    }
}
