using System.Text;
using ImageBuild.Engine.Crypto;

namespace ImageBuild.Engine.Tests.Crypto;

/// <summary>
/// The hashes .NET lacks, sha224 (FIPS 180-4 / RFC 3874 examples) and ripemd160 (the RIPEMD-160 paper's examples),
/// and PBKDF2 over them (values from Python's hashlib.pbkdf2_hmac, an independent OpenSSL implementation).
/// </summary>
[TestClass]
public sealed class LuksHashTests
{
    [TestMethod]
    [DataRow("sha224", "abc", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")]
    [DataRow("sha224", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525")]
    [DataRow("ripemd160", "", "9c1185a5c5e9fc54612808977ee8f548b2258d31")]
    [DataRow("ripemd160", "abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc")]
    [DataRow("ripemd160", "message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36")]
    public void DigestsAreThePublishedOnes(string name, string message, string digest)
    {
        var hash = LuksHash.FromName(name);
        Assert.AreEqual(digest.Length / 2, hash.DigestLength);
        Assert.AreEqual(digest, Convert.ToHexStringLower(hash.Hash(Encoding.ASCII.GetBytes(message))));
        // the two-part form the AF diffuse uses hashes the concatenation
        var parts = new byte[hash.DigestLength];
        hash.Hash(Encoding.ASCII.GetBytes(message[..(message.Length / 2)]), Encoding.ASCII.GetBytes(message[(message.Length / 2)..]), parts);
        Assert.AreEqual(digest, Convert.ToHexStringLower(parts));
    }

    [TestMethod]
    [DataRow("sha224", 2, 40, "93200ffa96c5776d38fa10abdf8f5bfc0054b9718513df472d2331d2d1e66a3f97b510224f700ce7")]
    [DataRow("ripemd160", 2, 40, "768dcc27b7bfdef794a1ff9d935090fcf598555e66913180b9ce363c615e9ed953b95fd07169be53")]
    public void Pbkdf2MatchesAnIndependentImplementation(string name, int iterations, int length, string expected)
    {
        var output = new byte[length];
        LuksHash.FromName(name).Pbkdf2("password"u8, "salt"u8, iterations, output);
        Assert.AreEqual(expected, Convert.ToHexStringLower(output));
    }

    [TestMethod]
    public void AllOfQemusHashNamesAreKnown()
    {
        foreach (string name in LuksCreateSettings.HashAlgNames)
            Assert.AreEqual(name, LuksHash.FromName(name).Name);
    }
}
