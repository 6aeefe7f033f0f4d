namespace ImageBuild.Cli.Tests.Oracle.Contract;

public sealed partial class EncryptedContractTests
{
    /// <summary>
    /// resize of a filled image of the row, opened with its key, in twin copies: grow, shrink with --shrink, and shrink
    /// without it (refused), each on its own copy of the same pair of qemu-made images.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(EncryptedMatrix.RowCases), typeof(EncryptedMatrix))]
    public void EncryptedResize(string row)
    {
        var p = EncryptedProfiles.Get(row);
        EngineDrivers.Require(p.Format);
        using var d = new OracleDirs();
        EncryptedFixtures.WriteSecrets(d.Root);
        string filled = "filled." + p.Extension;
        MakeFilledInBoth(p, d, filled);

        foreach (string resizeArgs in new[] { "+4M", "--shrink 4M", "4M" })
        {
            string img = $"img{resizeArgs.Replace(" ", "").Replace("-", "").Replace("+", "grow")}.{p.Extension}";
            foreach (string dir in new[] { d.Q, d.T })
                File.Copy(Path.Combine(dir, filled), Path.Combine(dir, img));
            string[] words = resizeArgs.Split(' ');
            var expected = EncryptedAssert.InTwins(d, ["resize", .. words[..^1], .. p.Open(img), words[^1]]);
            if (resizeArgs.StartsWith('+'))
                Assert.AreEqual(p.Has(QemuOps.Grow), expected.ExitCode == 0, $"profile row '{p.Row}': grow\n{expected}");
            else if (resizeArgs.StartsWith("--shrink", StringComparison.Ordinal))
                Assert.AreEqual(p.Has(QemuOps.Shrink), expected.ExitCode == 0, $"profile row '{p.Row}': shrink\n{expected}");
            else
                Assert.AreNotEqual(0, expected.ExitCode, $"shrinking without --shrink is refused\n{expected}");
            // a grown part of a row that does not start as zeros holds each image's own noise
            long written = expected.ExitCode == 0 && resizeArgs.StartsWith("--shrink", StringComparison.Ordinal) ? 4L << 20 : 8L << 20;
            EncryptedAssert.QemuSeesSame(p, d, img, $"resize {p.Row} {resizeArgs}", definedBytes: written);
        }
    }

    /// <summary>
    /// amend of key slots in twin copies of a filled image: a second passphrase is added (both then open the image to
    /// the same content), the first one's slot is erased (it no longer opens the image, as qemu refuses it), and
    /// erasing the last slot is refused; rows without key slots refuse the amend with qemu's message and stay as they were.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(EncryptedMatrix.RowCases), typeof(EncryptedMatrix))]
    public void EncryptedAmend(string row)
    {
        var p = EncryptedProfiles.Get(row);
        EngineDrivers.Require(p.Format);
        using var d = new OracleDirs();
        EncryptedFixtures.WriteSecrets(d.Root);
        string img = "img." + p.Extension;
        MakeFilledInBoth(p, d, img);
        var first = EncryptedProfiles.Passphrase;
        var second = EncryptedProfiles.SecondPassphrase;
        string x = p.KeySlotPrefix ?? "encrypt.";

        var added = EncryptedAssert.InTwins(d,
            ["amend", .. second.ObjectArgs, "-o", $"{x}state=active,{x}new-secret={second.Id},{x}iter-time=10", .. p.Open(img)]);
        if (p.KeySlotPrefix is null)
        {
            Assert.AreEqual(1, added.ExitCode, $"profile row '{p.Row}': no key slots to amend\n{added}");
            EncryptedAssert.QemuSeesSame(p, d, img, $"refused amend of {p.Row}");
            return;
        }
        Assert.AreEqual(0, added.ExitCode, $"profile row '{p.Row}': a key slot is added\n{added}");
        Assert.AreEqual(2, EncryptedAssert.ActiveKeySlots(p, d.Q, img), "qemu-img's image: active key slots after adding one");
        Assert.AreEqual(2, EncryptedAssert.ActiveKeySlots(p, d.T, img), "the tool's image: active key slots after adding one");
        EncryptedAssert.QemuSeesSame(p, d, img, $"amend {p.Row}: slot added");
        EncryptedAssert.Identical(p, d.Root, "q/" + img, "t/" + img, $"amend {p.Row}: opened with the new passphrase", second);

        var erased = EncryptedAssert.InTwins(d,
            ["amend", .. first.ObjectArgs, "-o", $"{x}state=inactive,{x}old-secret={first.Id}", .. p.Open(img, second)]);
        Assert.AreEqual(0, erased.ExitCode, $"profile row '{p.Row}': the first slot is erased\n{erased}");
        Assert.AreEqual(1, EncryptedAssert.ActiveKeySlots(p, d.T, img), "the tool's image: active key slots after erasing one");
        var refused = EncryptedAssert.InTwins(d, ["convert", "-O", "raw", .. p.Open(img), "x.raw"]);
        StringAssert.EndsWith(refused.StdErr, ": Invalid password, cannot unlock any keyslot\n");
        EncryptedAssert.Identical(p, d.Root, "q/" + img, "t/" + img, $"amend {p.Row}: slot erased", second);

        var last = EncryptedAssert.InTwins(d,
            ["amend", "-o", $"{x}state=inactive,{x}old-secret={second.Id}", .. p.Open(img, second)]);
        Assert.AreEqual(1, last.ExitCode, $"erasing the last key slot is refused\n{last}");
        Assert.AreEqual(1, EncryptedAssert.ActiveKeySlots(p, d.T, img), "the tool's image: the last key slot stays");
    }

    /// <summary>The same qemu-made filled image of the row in both twins (each with its own keys: two templates).</summary>
    private static void MakeFilledInBoth(EncryptedProfile p, OracleDirs d, string img)
    {
        _templates.PlaceFilled(p, d.Q, img, variant: 0);
        _templates.PlaceFilled(p, d.T, img, variant: 1);
    }
}
