using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Tests.Block;

[TestClass]
public sealed class IdentitySourceTests
{
    [TestMethod]
    public void ReproducibleIdentitiesDependOnSeedFileAndPurposeOnly()
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var a = IdentitySource.Reproducible("step-key-1", time).ForImage("/x/disk.vdi");
        var again = IdentitySource.Reproducible("step-key-1", time).ForImage("/elsewhere/disk.vdi");
        Assert.AreEqual(a.NewUuid("image"), again.NewUuid("image"), "same seed and file name: same UUID on any machine or directory");
        Assert.AreEqual(time, a.Timestamp);

        var other = IdentitySource.Reproducible("step-key-2", time).ForImage("/x/disk.vdi");
        var otherName = IdentitySource.Reproducible("step-key-1", time).ForImage("/x/other.vdi");
        var fresh = IdentitySource.Reproducible("step-key-1", time).ForImage("/x/disk.vdi");
        Guid first = fresh.NewUuid("image");
        Assert.AreNotEqual(first, other.NewUuid("image"), "another seed (another output) gets another UUID");
        Assert.AreNotEqual(first, otherName.NewUuid("image"), "another file gets another UUID");
        Assert.AreNotEqual(first, fresh.NewUuid("image"), "a second UUID for the same field of one image differs from the first");
        Assert.AreNotEqual(first, fresh.NewUuid("last-snap"));
    }

    [TestMethod]
    public void KeyMaterialUnderASecretNeedsTheSecretNotOnlyTheSeed()
    {
        var seeded = IdentitySource.Reproducible("SOURCE_DATE_EPOCH=1700000000", DateTimeOffset.UnixEpoch);
        byte[] Material(IdentitySource source, string secret)
        {
            var bytes = new byte[64];
            source.ForImage("/x/disk.luks").ForSecret(System.Text.Encoding.UTF8.GetBytes(secret)).NewBytes("luks.master-key", bytes);
            return bytes;
        }
        byte[] plain = new byte[64];
        seeded.ForImage("/x/disk.luks").NewBytes("luks.master-key", plain);

        byte[] first = Material(seeded, "passphrase one");
        CollectionAssert.AreEqual(first, Material(seeded, "passphrase one"), "same seed and secret: the same key material");
        CollectionAssert.AreNotEqual(first, Material(seeded, "passphrase two"), "another secret: other key material");
        CollectionAssert.AreNotEqual(plain, first, "the seed alone (known to anyone with the recipe or the epoch) does not give it");
        Assert.IsTrue(seeded.ForImage("a").ForSecret("x"u8).IsReproducible);

        var random = IdentitySource.Random.ForImage("/x/disk.luks");
        Assert.AreSame(random, random.ForSecret("x"u8), "random identities need no secret to be unpredictable");
    }

    [TestMethod]
    public void UuidsAreVersion4Rfc4122()
    {
        foreach (var id in new[] { IdentitySource.Random.ForImage("a").NewUuid("x"), IdentitySource.Reproducible("s", DateTimeOffset.UnixEpoch).ForImage("a").NewUuid("x") })
        {
            string text = id.ToString();
            Assert.AreEqual('4', text[14], text);
            StringAssert.Matches(text[19].ToString(), new System.Text.RegularExpressions.Regex("[89ab]"), text);
        }
        Assert.AreNotEqual(IdentitySource.Random.ForImage("a").NewUuid("x"), IdentitySource.Random.ForImage("a").NewUuid("x"));
    }

    [TestMethod]
    public void SourceDateEpochMakesTheCommandLineReproducible()
    {
        var env = IdentitySource.FromEnvironment(name => name == "SOURCE_DATE_EPOCH" ? "1234567890" : null);
        Assert.AreEqual(DateTimeOffset.FromUnixTimeSeconds(1234567890), env.ForImage("d.vdi").Timestamp);
        Assert.AreEqual(env.ForImage("d.vdi").NewUInt32("cid"), IdentitySource.FromEnvironment(_ => "1234567890").ForImage("d.vdi").NewUInt32("cid"));
        Assert.AreSame(IdentitySource.Random, IdentitySource.FromEnvironment(_ => null));
        Assert.AreSame(IdentitySource.Random, IdentitySource.FromEnvironment(_ => "not a number"));
    }
}
