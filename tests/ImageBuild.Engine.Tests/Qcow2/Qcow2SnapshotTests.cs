using ImageBuild.Engine.Formats.Qcow2;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow2.Qcow2TestSupport;

namespace ImageBuild.Engine.Tests.Qcow2;

/// <summary>Internal snapshots through the engine API: ids, dates, temporary loads, in-process copy-on-write.</summary>
[TestClass]
public sealed class Qcow2SnapshotTests
{
    private static SnapshotTableEntry Entry(string id) => new(0, 0, id, "n", 0, 0, 0, 0, null, -1);

    [TestMethod]
    [DataRow(new string[0], "1")]
    [DataRow(new[] { "1", "2" }, "3")]
    [DataRow(new[] { "7", "3" }, "8")]
    [DataRow(new[] { "abc" }, "1")]
    [DataRow(new[] { "12abc", " 4" }, "13")]
    [DataRow(new[] { "99999999999999999999999" }, "0")]
    public void NewIdIsOneMoreThanTheLargestNumericId(string[] ids, string expected) =>
        Assert.AreEqual(expected, Qcow2Device.NewSnapshotId(ids.Select(Entry)));

    [TestMethod]
    public void NowKeepsMicrosecondsAsQemuImgDoes()
    {
        var sn = NewSnapshot.Now("x", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123).AddTicks(4567));
        Assert.AreEqual(1_700_000_000u, sn.DateSec);
        Assert.AreEqual(123_456_000u, sn.DateNsec);
        Assert.AreEqual(0, sn.Icount);
    }

    [TestMethod]
    [RequiresQemu]
    public void AGivenDateMakesSnapshotsReproducible()
    {
        using var tmp = new TempDir();
        var date = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000);
        foreach (string name in new[] { "a.qcow2", "b.qcow2" })
        {
            CreateOurs(tmp[name], 4 << 20, "");
            ImageSnapshotter.Run(Ctx(), new SnapshotRequest { Filename = tmp[name], Action = SnapshotAction.Create, Snapshot = "rel", Date = date });
        }
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["a.qcow2"]), File.ReadAllBytes(tmp["b.qcow2"]));
        var list = ImageSnapshotter.Run(Ctx(), new SnapshotRequest { Filename = tmp["a.qcow2"], Action = SnapshotAction.List });
        Assert.AreEqual(1, list.Count);
        Assert.AreEqual(("1", "rel", 1_600_000_000L, 0L), (list[0].Id, list[0].Name, list[0].DateSec, list[0].DateNsec));
        StringAssert.Contains(QemuOracle.ImgOk("info", "--output=json", tmp["a.qcow2"]), "\"date-sec\": 1600000000");
    }

    [TestMethod]
    [RequiresQemu]
    public void DeviceShowsTheSnapshotWhileTheImageChangesInTheSameSession()
    {
        using var tmp = new TempDir();
        string img = tmp["a.qcow2"];
        CreateOurs(img, 4 << 20, "");
        var one = new byte[65536];
        one.AsSpan().Fill(0x11);
        var two = new byte[65536];
        two.AsSpan().Fill(0x22);
        using (var dev = Open(img, writable: true))
        {
            dev.Write(0, one);
            dev.CreateSnapshot(new NewSnapshot("s", 1, 0));
            // Partial and whole-cluster writes into shared clusters, then a second snapshot and more writes.
            dev.Write(4096, two.AsSpan(0, 512));
            dev.Write(65536, two);
            dev.CreateSnapshot(new NewSnapshot("t", 2, 0));
            dev.Write(0, two);
            var back = new byte[65536];
            dev.Read(0, back);
            CollectionAssert.AreEqual(two, back);
        }
        QemuOracle.ImgOk("check", img);
        using (var dev = Open(img))
        {
            dev.LoadSnapshotTemporarily(null, "s");
            var back = new byte[131072];
            dev.Read(0, back);
            CollectionAssert.AreEqual(one, back[..65536]);
            Assert.IsTrue(back.AsSpan(65536).IndexOfAnyExcept((byte)0) < 0);
        }
        using (var dev = Open(img))
        {
            dev.LoadSnapshotTemporarily("2", null);
            var back = new byte[4608];
            dev.Read(0, back);
            Assert.AreEqual(0x11, back[0]);
            Assert.AreEqual(0x22, back[4096]);
        }
    }

    [TestMethod]
    [RequiresQemu]
    public void TemporaryLoadNeedsAReadOnlyDeviceAndAKnownSnapshot()
    {
        using var tmp = new TempDir();
        string img = tmp["a.qcow2"];
        CreateOurs(img, 1 << 20, "");
        QemuOracle.ImgOk("snapshot", "-c", "s1", img);
        using (var dev = Open(img, writable: true))
        {
            var e = Assert.ThrowsExactly<SnapshotException>(() => dev.LoadSnapshotTemporarily("1", null));
            Assert.AreEqual("Device is not readonly", e.Message);
        }
        using (var dev = Open(img))
        {
            Assert.AreEqual("Can't find snapshot", Assert.ThrowsExactly<SnapshotException>(() => dev.LoadSnapshotTemporarily("1", "other")).Message);
            Assert.AreEqual("Can't find snapshot", Assert.ThrowsExactly<SnapshotException>(() => dev.LoadSnapshotTemporarily("s1", null)).Message);
            dev.LoadSnapshotTemporarily("1", "s1");
        }
    }
}
