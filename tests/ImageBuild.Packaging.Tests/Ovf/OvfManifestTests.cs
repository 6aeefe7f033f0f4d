using System.Security.Cryptography;
using System.Text;
using ImageBuild.Packaging.Ovf;

namespace ImageBuild.Packaging.Tests.Ovf;

[TestClass]
public sealed class OvfManifestTests
{
    [TestMethod]
    public void Lines_read_alg_name_equals_space_lowercase_hex()
    {
        byte[] a = SHA256.HashData("a"u8), b = SHA256.HashData("b"u8);
        string text = Encoding.ASCII.GetString(OvfManifest.Write(ManifestAlgorithm.Sha256, [("x.ovf", a), ("x-disk1.vmdk", b)]));
        Assert.AreEqual(
            $"SHA256(x.ovf)= {Convert.ToHexStringLower(a)}\nSHA256(x-disk1.vmdk)= {Convert.ToHexStringLower(b)}\n", text);
    }

    [TestMethod]
    public void Sha1_and_sha512_labels_and_lengths()
    {
        string sha1 = Encoding.ASCII.GetString(OvfManifest.Write(ManifestAlgorithm.Sha1, [("x.ovf", SHA1.HashData("a"u8))]));
        Assert.AreEqual("SHA1(x.ovf)= 86f7e437faa5a7fce15d1ddcb9eaeaea377667b8\n", sha1);
        string sha512 = Encoding.ASCII.GetString(OvfManifest.Write(ManifestAlgorithm.Sha512, [("x.ovf", SHA512.HashData("a"u8))]));
        Assert.StartsWith("SHA512(x.ovf)= 1f40fc92da241694", sha512);
        Assert.AreEqual("SHA512(x.ovf)= ".Length + 128 + 1, sha512.Length);
    }

    [TestMethod]
    public void Digest_of_the_wrong_length_or_a_path_is_refused()
    {
        Assert.ThrowsExactly<ArgumentException>(() => OvfManifest.Write(ManifestAlgorithm.Sha256, [("x.ovf", SHA1.HashData("a"u8))]));
        Assert.ThrowsExactly<ArgumentException>(() => OvfManifest.Write(ManifestAlgorithm.Sha1, [("../x.ovf", SHA1.HashData("a"u8))]));
    }

    [TestMethod]
    [DataRow("sha256", ManifestAlgorithm.Sha256)]
    [DataRow("SHA1", ManifestAlgorithm.Sha1)]
    [DataRow("sha512", ManifestAlgorithm.Sha512)]
    public void Names_parse(string name, ManifestAlgorithm expected)
    {
        Assert.IsTrue(OvfManifest.TryParse(name, out var algorithm));
        Assert.AreEqual(expected, algorithm);
    }

    [TestMethod]
    public void Unknown_names_do_not_parse()
    {
        Assert.IsFalse(OvfManifest.TryParse("md5", out _));
        Assert.IsFalse(OvfManifest.TryParse("", out _));
    }
}
