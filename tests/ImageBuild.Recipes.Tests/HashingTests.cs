using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

[TestClass]
public sealed class HashingTests
{
    [TestMethod]
    public void HashDependsOnBytesNotOnWhichZeroesAreHoles()
    {
        using var tmp = new TempDir();
        var data = new byte[3 << 20];
        new Random(7).NextBytes(data.AsSpan(1 << 20, 8192));
        File.WriteAllBytes(tmp["dense"], data);
        using (var fs = new FileStream(tmp["sparse"], FileMode.Create))
        {
            fs.SetLength(data.Length);
            fs.Position = 1 << 20;
            fs.Write(data, 1 << 20, 8192);
        }
        Assert.AreEqual(ContentHasher.HashFile(tmp["dense"]), ContentHasher.HashFile(tmp["sparse"]));
        ContentHasher.HashFile(tmp["sparse"], out long read);
        Assert.IsLessThan(1L << 20, read, "holes are not read");
    }

    [TestMethod]
    public void FilesOfManyReadsHashAsTheirBytesGivenInOneGo()
    {
        // Larger than one 4 MiB read: data runs across read boundaries, a hole between them, a run ending inside a
        // block and a last partial block must give the hash of the plain bytes.
        using var tmp = new TempDir();
        long length = (13L << 20) + 1234;
        var runs = new (long Offset, int Length)[] { (0, 5000), ((4L << 20) - 3000, 9000), (6L << 20, 5 << 20), (length - 777, 777) };
        var whole = new byte[length];
        var random = new Random(11);
        using (var fs = new FileStream(tmp["big"], FileMode.Create))
        {
            fs.SetLength(length);
            foreach (var (offset, count) in runs)
            {
                random.NextBytes(whole.AsSpan((int)offset, count));
                fs.Position = offset;
                fs.Write(whole, (int)offset, count);
            }
        }
        var reference = new ContentHashBuilder();
        reference.Append(0, whole);
        string expected = reference.Finish(length);

        Assert.AreEqual(expected, ContentHasher.HashFile(tmp["big"], out long read));
        Assert.IsLessThan(length, read, "the hole between the runs is not read");
        whole[(6 << 20) + 12345] ^= 1;
        File.WriteAllBytes(tmp["changed"], whole);
        Assert.AreNotEqual(expected, ContentHasher.HashFile(tmp["changed"]), "a byte of a later chunk counts");
    }

    [TestMethod]
    public void HashSeesEveryByteAndTheLength()
    {
        using var tmp = new TempDir();
        var data = new byte[64 << 10];
        data[100] = 1;
        File.WriteAllBytes(tmp["a"], data);
        string h = ContentHasher.HashFile(tmp["a"]);
        data[100] = 0;
        data[40000] = 1;
        File.WriteAllBytes(tmp["b"], data);
        Assert.AreNotEqual(h, ContentHasher.HashFile(tmp["b"]), "same bytes at another place");
        data[40000] = 0;
        File.WriteAllBytes(tmp["c"], data);
        File.WriteAllBytes(tmp["d"], new byte[data.Length + 1]);
        Assert.AreNotEqual(ContentHasher.HashFile(tmp["c"]), ContentHasher.HashFile(tmp["d"]), "length counts");
        StringAssert.Matches(h, new System.Text.RegularExpressions.Regex("^xxh128:[0-9a-f]{32}$"));
    }

    [TestMethod]
    public void CopyIsByteIdenticalAndKeepsHoles()
    {
        using var tmp = new TempDir();
        using (var fs = new FileStream(tmp["src"], FileMode.Create))
        {
            fs.SetLength(256L << 20);
            fs.Position = 100L << 20;
            fs.Write(Enumerable.Range(0, 1 << 16).Select(i => (byte)i).ToArray());
        }
        var method = FileCopier.Copy(tmp["src"], tmp["dst"]);
        Assert.AreEqual(ContentHasher.HashFile(tmp["src"]), ContentHasher.HashFile(tmp["dst"]));
        Assert.AreEqual(256L << 20, new FileInfo(tmp["dst"]).Length);
        using var dst = Engine.Host.HostFile.Open(tmp["dst"], writable: false);
        if (method == CopyMethod.Sparse)
            Assert.IsLessThan(8L << 20, dst.AllocatedBytes, "only data was written");
        var bytes = new byte[1 << 16];
        dst.Read(100L << 20, bytes);
        Assert.AreEqual((byte)255, bytes[255]);
    }

    [TestMethod]
    public void StampFastPathTrustsSizeAndMtimeAndRehashesOtherwise()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp["f"], "hello");
        var racy = FileStamp.Current(tmp["f"], null, out bool hashed)!;
        Assert.AreEqual(-1, racy.MtimeTicks, "a file written a moment ago may change again within the same tick");
        Assert.IsNull(FileStamp.Current(tmp["f"] + ".missing", null, out _));
        File.SetLastWriteTimeUtc(tmp["f"], DateTime.UtcNow.AddMinutes(-10));
        var first = FileStamp.Current(tmp["f"], racy, out hashed)!;
        Assert.IsTrue(hashed);
        var again = FileStamp.Current(tmp["f"], first, out hashed)!;
        Assert.IsFalse(hashed);
        Assert.AreSame(first, again);
        File.SetLastWriteTimeUtc(tmp["f"], DateTime.UtcNow.AddHours(1));
        var touched = FileStamp.Current(tmp["f"], first, out hashed)!;
        Assert.IsTrue(hashed);
        Assert.AreEqual(first.Hash, touched.Hash);
    }
}
