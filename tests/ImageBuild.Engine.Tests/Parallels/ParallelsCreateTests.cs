using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Parallels.ParallelsTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Parallels;

[TestClass]
public sealed class ParallelsCreateTests
{
    [TestMethod]
    public void TheHeaderIsQemus()
    {
        using var tmp = new TempDir();
        string path = tmp["a.hdd"];
        Create(path, 10 * MiB);
        var bytes = File.ReadAllBytes(path);
        CollectionAssert.AreEqual("WithouFreSpacExt"u8.ToArray(), bytes[..16]);
        Assert.AreEqual(2u, ReadU32(path, VersionField));
        Assert.AreEqual(16u, ReadU32(path, 20), "heads");
        Assert.AreEqual(40u, ReadU32(path, 24), "cylinders: sectors / 16 / 32");
        Assert.AreEqual(2048u, ReadU32(path, Tracks), "1 MiB clusters");
        Assert.AreEqual(10u, ReadU32(path, BatEntries));
        Assert.AreEqual(20480u, ReadU32(path, NbSectors));
        Assert.AreEqual(0u, ReadU32(path, InUse));
        Assert.AreEqual(2048u, ReadU32(path, DataOff), "the data starts at the first cluster after the BAT");
        Assert.AreEqual(MiB, bytes.Length, "header and BAT padded to a whole cluster");
        Assert.IsTrue(bytes[64..].All(b => b == 0));
    }

    [TestMethod]
    public void SizesAreRoundedUpToSectorsAndTheBatSpansClusters()
    {
        using var tmp = new TempDir();
        string path = tmp["a.hdd"];
        Create(path, 1000 * 4096 + 1, clusterSize: 1000);
        Assert.AreEqual(2u, ReadU32(path, Tracks), "cluster_size 1000 rounded up to 1024");
        Assert.AreEqual(4001u, ReadU32(path, BatEntries));
        Assert.AreEqual(8001u, ReadU32(path, NbSectors));
        long batBytes = 64 + 4001 * 4;
        long dataOff = (batBytes + 1023) / 1024 * 2;
        Assert.AreEqual((uint)dataOff, ReadU32(path, DataOff));
        Assert.AreEqual(dataOff * 512, new FileInfo(path).Length);
    }

    [TestMethod]
    [DataRow(0L, 5L << 20, "Image size is too large for this cluster size")]
    [DataRow(3L << 30, 5L << 20, "Cluster size is too large")]
    [DataRow(512L, 4L << 40, "Image size is too large for this cluster size")]
    public void SizesQemuRefusesAreRefusedWithItsWords(long clusterSize, long size, string message)
    {
        using var tmp = new TempDir();
        var e = Assert.ThrowsExactly<ImageException>(() => Create(tmp["a.hdd"], size, clusterSize));
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void ACreatedImageOpensEmpty()
    {
        using var tmp = new TempDir();
        string path = tmp["a.hdd"];
        Create(path, 3 * MiB, clusterSize: 65536);
        using var dev = Open(path);
        Assert.AreEqual(3 * MiB, dev.VirtualSize);
        var buf = new byte[3 * MiB];
        dev.Read(0, buf);
        Assert.IsTrue(buf.All(b => b == 0));
        Assert.AreEqual(0, dev.ClusterSize, "no cluster size in info: qemu's driver has no get_info");
        Assert.IsFalse(dev.HasDriverInfo);
    }
}
