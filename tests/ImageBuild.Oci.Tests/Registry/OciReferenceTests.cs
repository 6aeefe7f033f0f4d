using ImageBuild.Oci.Registry;

namespace ImageBuild.Oci.Tests.Registry;

[TestClass]
public sealed class OciReferenceTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [TestMethod]
    [DataRow("oci://127.0.0.1:5000/cache", "127.0.0.1:5000", "cache", null, null)]
    [DataRow("oci://localhost/a/b/c:v1.2_x-3", "localhost", "a/b/c", "v1.2_x-3", null)]
    [DataRow("oci://ghcr.io/org/img@" + Digest, "ghcr.io", "org/img", null, Digest)]
    [DataRow("oci://Registry.Example.com:443/x__y/a.b-c--d:t@" + Digest, "registry.example.com:443", "x__y/a.b-c--d", "t", Digest)]
    [DataRow("oci://[::1]:5000/r", "[::1]:5000", "r", null, null)]
    [DataRow("ghcr.io/org/img:_tag", "ghcr.io", "org/img", "_tag", null)]
    public void ParsesValidReferences(string text, string registry, string repository, string? tag, string? digest)
    {
        var r = OciReference.Parse(text);
        Assert.AreEqual(registry, r.Registry);
        Assert.AreEqual(repository, r.Repository);
        Assert.AreEqual(tag, r.Tag);
        Assert.AreEqual(digest, r.Digest);
        Assert.AreEqual(digest ?? tag ?? "latest", r.Reference);
        Assert.AreEqual(r, OciReference.Parse(r.ToString()), "ToString parses back to the same reference");
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("oci://")]
    [DataRow("oci://host")]
    [DataRow("oci://host/")]
    [DataRow("oci://host/Upper")]
    [DataRow("oci://host/a//b")]
    [DataRow("oci://host/a/")]
    [DataRow("oci://host/-a")]
    [DataRow("oci://host/a___b")]
    [DataRow("oci://host/a._b")]
    [DataRow("oci://host/a:")]
    [DataRow("oci://host/a:-tag")]
    [DataRow("oci://host/a:t/g")]
    [DataRow("oci://host/a@sha256:abc")]
    [DataRow("oci://host/a@sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [DataRow("oci://host/a@SHA256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")]
    [DataRow("oci://host:0/a")]
    [DataRow("oci://host:99999/a")]
    [DataRow("oci://ho_st/a")]
    [DataRow("oci://[::1/a")]
    [DataRow("https://host/a")]
    [DataRow("oci://host/a b")]
    public void RefusesInvalidReferences(string text)
    {
        Assert.IsFalse(OciReference.TryParse(text, out var reference, out var error));
        Assert.IsNull(reference);
        Assert.IsNotNull(error);
        StringAssert.Contains(error, "'" + text + "'");
        Assert.IsFalse(error.Contains('\n'));
        var e = Assert.ThrowsExactly<FormatException>(() => OciReference.Parse(text));
        Assert.AreEqual(error, e.Message);
    }

    [TestMethod]
    public void RefusesOverlongTag()
    {
        Assert.IsTrue(OciReference.TryParse("oci://h/r:" + new string('a', 128), out _, out _));
        Assert.IsFalse(OciReference.TryParse("oci://h/r:" + new string('a', 129), out _, out _));
    }

    [TestMethod]
    public void WithTagAndWithDigest()
    {
        var r = OciReference.Parse("oci://h:1/r:old@" + Digest);
        var tagged = r.WithTag("new");
        Assert.AreEqual("oci://h:1/r:new", tagged.ToString());
        Assert.AreEqual("new", tagged.Reference);
        var pinned = tagged.WithDigest(Digest);
        Assert.AreEqual(Digest, pinned.Reference);
        Assert.AreEqual("oci://h:1/r:new@" + Digest, pinned.ToString());
        Assert.ThrowsExactly<FormatException>(() => r.WithTag("bad/tag"));
        Assert.ThrowsExactly<FormatException>(() => r.WithDigest("sha256:00"));
    }

    [TestMethod]
    [DataRow("oci://localhost:5000/r", true)]
    [DataRow("oci://LOCALHOST/r", true)]
    [DataRow("oci://127.0.0.1/r", true)]
    [DataRow("oci://127.8.9.10:80/r", true)]
    [DataRow("oci://[::1]:5000/r", true)]
    [DataRow("oci://[::1]/r", true)]
    [DataRow("oci://10.0.0.1/r", false)]
    [DataRow("oci://localhost.example.com/r", false)]
    [DataRow("oci://ghcr.io/r", false)]
    public void IsLoopback(string text, bool loopback) => Assert.AreEqual(loopback, OciReference.Parse(text).IsLoopback);
}
