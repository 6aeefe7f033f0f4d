using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

public sealed partial class FormatContractTests
{
    /// <summary>Virtual size of the read-only images (a multiple of every block and extent size the makers use).</summary>
    private const int ReadOnlySize = 4 << 20;

    /// <summary>
    /// Reading a read-only format: an image made from raw content by the row's maker reads back, through qemu-img,
    /// as that content (which checks the maker); our `convert -O raw` is byte-identical to qemu-img's, our `compare`
    /// agrees, and info (given and probed), map and check print exactly what qemu-img prints, in text and JSON.
    /// </summary>
    [TestMethod]
    [RequiresTool(ExternalTools.CreateCompressedFs)]
    [DynamicData(nameof(ContractMatrix.ReadOnlyReadCases), typeof(ContractMatrix))]
    public void ContractReadOnlyRead(string format, string content)
    {
        var p = FormatProfiles.GetReadOnly(format);
        EngineDrivers.Require(format);
        using var tmp = new TempDir();
        string dir = tmp.Path, img = "img." + p.Extension;
        MakeReadOnlyImage(p, tmp["content.raw"], tmp[img], content);

        ToolUnderTest.QemuOk(dir, "convert", "-f", format, "-O", "raw", img, "q.raw");
        OracleFixtures.AssertFilesEqual(tmp["content.raw"], tmp["q.raw"], $"fixture: qemu-img reads the {format} maker's image as its content");
        var converted = ToolUnderTest.Run(dir, "convert", "-f", format, "-O", "raw", img, "t.raw");
        OracleAssert.NoCrash(converted);
        Assert.AreEqual(0, converted.ExitCode, converted.ToString());
        Assert.AreEqual("", converted.StdOut + converted.StdErr, "convert prints nothing");
        OracleFixtures.AssertFilesEqual(tmp["q.raw"], tmp["t.raw"], $"convert -O raw of a {content} {format} image");

        ContractAssert.InOneDir(dir, "compare", "-f", format, "-F", "raw", img, "q.raw");
        ContractAssert.InOneDir(dir, "info", "-f", format, img);
        ContractAssert.InOneDir(dir, "info", "-f", format, "--output=json", img);
        ContractAssert.InOneDir(dir, "info", "--output=json", img); // probed
        ContractAssert.InOneDir(dir, "map", "-f", format, img);
        ContractAssert.InOneDir(dir, "map", "-f", format, "--output=json", img);
        var check = ContractAssert.InOneDir(dir, "check", "-f", format, img);
        Assert.AreEqual(63, check.ExitCode, $"qemu-img cannot check a read-only format\n{check}");
        ContractAssert.InOneDir(dir, "check", "-f", format, "--output=json", img);
    }

    /// <summary>
    /// Every command that would write or create a read-only format fails as qemu-img fails it ("Image is read-only",
    /// "does not support image creation"), and leaves the image as it was.
    /// </summary>
    [TestMethod]
    [RequiresTool(ExternalTools.CreateCompressedFs)]
    [DynamicData(nameof(ContractMatrix.ReadOnlyFormatCases), typeof(ContractMatrix))]
    public void ContractReadOnlyRefusesWrites(string format)
    {
        var p = FormatProfiles.GetReadOnly(format);
        EngineDrivers.Require(format);
        using var tmp = new TempDir();
        string dir = tmp.Path, img = "img." + p.Extension;
        MakeReadOnlyImage(p, tmp["content.raw"], tmp[img], "mixed");
        string before = QemuOracle.Md5OfFile(tmp[img]);
        string[][] commands =
        [
            ["resize", "-f", format, img, "8M"],
            ["commit", "-f", format, img],
            ["snapshot", "-c", "s1", img],
            ["amend", "-f", format, "-o", "size=8M", img],
            ["rebase", "-u", "-f", format, "-b", "content.raw", "-F", "raw", img],
            ["convert", "-n", "-f", "raw", "-O", format, "content.raw", img],
            ["bitmap", "--add", "-f", format, img, "b0"],
            ["create", "-f", format, "new." + p.Extension, "1M"],
            ["measure", "-O", format, "--size", "1M"],
        ];
        foreach (var args in commands)
        {
            var expected = ContractAssert.InOneDir(dir, args);
            Assert.AreNotEqual(0, expected.ExitCode, $"fixture: qemu-img refuses {string.Join(' ', args)}\n{expected}");
        }
        Assert.AreEqual(before, QemuOracle.Md5OfFile(tmp[img]), "the image is unchanged");
        Assert.IsFalse(File.Exists(tmp["new." + p.Extension]), "nothing created");
    }

    /// <summary>The raw content of a read-only case and its image made by the row's maker.</summary>
    private static void MakeReadOnlyImage(ReadOnlyFormatProfile p, string rawPath, string imagePath, string content)
    {
        var raw = new byte[ReadOnlySize];
        if (content == "mixed")
        {
            // data in the first MiB, a hole, data across the 2 MiB mark with zero runs inside, a hole to the end but
            // for the last sector
            OracleFixtures.MixedContent(1 << 20, 31).CopyTo(raw, 0);
            OracleFixtures.MixedContent(768 << 10, 32).CopyTo(raw, (2 << 20) - (256 << 10));
            Array.Clear(raw, (2 << 20) + 4096, 20_000);
            Array.Clear(raw, 300_000, 65536);
            OracleFixtures.MixedContent(512, 33).CopyTo(raw, ReadOnlySize - 512);
        }
        File.WriteAllBytes(rawPath, raw);
        p.Make(rawPath, imagePath);
    }
}
