using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Luks.LuksTestImages;

namespace ImageBuild.Engine.Tests.Luks;

/// <summary>
/// With a reproducible identity (recipes, SOURCE_DATE_EPOCH) a luks image is the same bytes on every run: key
/// material, salts, stripes and UUID come from the seed, iteration counts from the fixed rate; another seed differs.
/// </summary>
[TestClass]
public sealed class LuksReproducibleTests
{
    private static byte[] Make(TempDir tmp, string name, string seed)
    {
        var ctx = Context().WithIdentity(IdentitySource.Reproducible(seed, DateTimeOffset.UnixEpoch));
        string path = tmp[name];
        Create(ctx, path, 1 << 20, "key-secret=s0", "iter-time=20", "cipher-alg=aes-128");
        using (var dev = ImageOpener.Open(ctx, path, LuksOpen(writable: true)))
            dev.Write(4096, Pattern(8192, 5));
        return File.ReadAllBytes(path);
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameBytes()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        byte[] first = Make(a, "x.luks", "seed-1");
        CollectionAssert.AreEqual(first, Make(b, "x.luks", "seed-1"));
        CollectionAssert.AreNotEqual(first, Make(b, "y.luks", "seed-2"));
        var header = ImageBuild.Engine.Crypto.LuksHeader.Parse(first);
        Assert.AreEqual(20_000u, header.KeySlots[0].Iterations, "1,000,000 a second for 20 ms");
        Assert.AreEqual(2_500u, header.MasterKeyDigestIterations, "an eighth of it for the digest");
        CollectionAssert.AreEqual(Pattern(8192, 5), OurPlain(Context(), a["x.luks"])[4096..12288]);
    }
}
