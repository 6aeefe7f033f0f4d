using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

public sealed partial class EncryptedContractTests
{
    /// <summary>
    /// Reading what qemu wrote through the key: qemu-io fills a qemu-created image of the row; our `convert -O raw` is
    /// byte-identical to qemu-img's, our `compare` with that raw file agrees, and our info (with the key, and with
    /// `-f`/probed where no key is needed), map and check print exactly what qemu-img prints, in text and JSON.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(EncryptedMatrix.LayoutCases), typeof(EncryptedMatrix))]
    public void EncryptedRead(string row, string options)
    {
        var p = EncryptedProfiles.Get(row);
        EngineDrivers.Require(p.Format);
        using var tmp = new TempDir();
        string dir = tmp.Path, img = "img." + p.Extension;
        string o = ContractMatrix.Options(options);
        if (o.Length == 0) _templates.PlaceFilled(p, dir, img);
        else EncryptedFixtures.MakeFilledImage(p, dir, img, o);

        ToolUnderTest.QemuOk(dir, ["convert", "-O", "raw", .. p.Open(img), "q.raw"]);
        var converted = ToolUnderTest.Run(dir, ["convert", "-O", "raw", .. p.Open(img), "t.raw"]);
        OracleAssert.NoCrash(converted);
        Assert.AreEqual(0, converted.ExitCode, converted.ToString());
        Assert.AreEqual("", converted.StdOut + converted.StdErr, "convert prints nothing");
        OracleFixtures.AssertFilesEqual(tmp["q.raw"], tmp["t.raw"], $"convert -O raw of a qemu-io filled {p.Row} {options}");

        var same = EncryptedAssert.InOneDir(dir, ["compare", .. p.Secret.ObjectArgs, .. p.NamingFlag, p.Spec(img), p.RawSpec("q.raw")]);
        Assert.AreEqual(0, same.ExitCode, $"fixture: qemu-img compare of the image with its raw conversion\n{same}");
        EncryptedAssert.InOneDir(dir, ["info", .. p.Open(img)]);
        EncryptedAssert.InOneDir(dir, ["info", "--output=json", .. p.Open(img)]);
        // info opens without I/O: no key is needed, so `-f` and probing work on encrypted images too
        EncryptedAssert.InOneDir(dir, "info", "-f", p.Format, img);
        EncryptedAssert.InOneDir(dir, "info", "--output=json", img);
        EncryptedAssert.InOneDir(dir, ["map", .. p.Open(img)]);
        EncryptedAssert.InOneDir(dir, ["map", "--output=json", .. p.Open(img)]);
        var check = EncryptedAssert.InOneDir(dir, ["check", .. p.Open(img)]);
        Assert.AreEqual(p.Has(QemuOps.Check), check.ExitCode != 63, $"profile row '{p.Row}': check support\n{check}");
        EncryptedAssert.InOneDir(dir, ["check", "--output=json", .. p.Open(img)]);
    }

    /// <summary>
    /// The key going wrong, on a qemu-io filled image: a wrong passphrase (LUKS refuses it with qemu's message; legacy
    /// AES cannot tell and decrypts to the same wrong bytes as qemu-img), a key-secret naming no object, an image
    /// opened with `-f` and no key-secret at all, and a key-secret naming another id than the object's.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(EncryptedMatrix.RowCases), typeof(EncryptedMatrix))]
    public void EncryptedWrongSecret(string row)
    {
        var p = EncryptedProfiles.Get(row);
        EngineDrivers.Require(p.Format);
        using var tmp = new TempDir();
        string dir = tmp.Path, img = "img." + p.Extension;
        _templates.PlaceFilled(p, dir, img);
        ToolUnderTest.QemuOk(dir, ["convert", "-O", "raw", .. p.Open(img), "right.raw"]);

        string[] wrong = p.Open(img, EncryptedProfiles.WrongPassphrase);
        var qw = ToolUnderTest.Qemu(dir, ["convert", "-O", "raw", .. wrong, "wrong-q.raw"]);
        var tw = ToolUnderTest.Run(dir, ["convert", "-O", "raw", .. wrong, "wrong-t.raw"]);
        EncryptedAssert.CompareRuns(qw, tw, ["convert"]);
        if (p.ChecksPassphrase)
        {
            Assert.AreEqual(1, qw.ExitCode, $"profile row '{p.Row}': a wrong passphrase is refused\n{qw}");
            StringAssert.EndsWith(qw.StdErr, ": Invalid password, cannot unlock any keyslot\n");
            Assert.IsFalse(File.Exists(tmp["wrong-t.raw"]), "no output after a refused passphrase");
        }
        else
        {
            Assert.AreEqual(0, qw.ExitCode, $"profile row '{p.Row}': legacy AES opens with any passphrase\n{qw}");
            OracleFixtures.AssertFilesEqual(tmp["wrong-q.raw"], tmp["wrong-t.raw"], $"{p.Row} read through a wrong passphrase");
            Assert.AreNotEqual(QemuOracle.Md5OfFile(tmp["right.raw"]), QemuOracle.Md5OfFile(tmp["wrong-q.raw"]),
                "fixture: a wrong passphrase reads other bytes");
        }

        var noObject = EncryptedAssert.InOneDir(dir, ["convert", "-O", "raw", .. p.NamingFlag, p.Spec(img), "x.raw"]);
        StringAssert.EndsWith(noObject.StdErr, $": No secret with id '{p.Secret.Id}'\n");
        var noKey = EncryptedAssert.InOneDir(dir, "convert", "-f", p.Format, "-O", "raw", img, "x.raw");
        StringAssert.EndsWith(noKey.StdErr, $": Parameter '{p.KeySecretOption}' is required for cipher\n");
        var otherId = EncryptedAssert.InOneDir(dir, ["convert", "-O", "raw", .. p.Open(img, secretId: "nosuch"), "x.raw"]);
        StringAssert.EndsWith(otherId.StdErr, ": No secret with id 'nosuch'\n");
        Assert.IsFalse(File.Exists(tmp["x.raw"]), "no output when the source cannot be opened");
    }
}
