using ImageBuild.Cli.Output;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Cli.Tests.Unit;

[TestClass]
public sealed class PresenterTests
{
    private static ImageInfo Top => new()
    {
        Filename = "top.qcow2",
        Format = "qcow2",
        DirtyFlag = false,
        ActualSize = 200704,
        VirtualSize = 67108864,
        ClusterSize = 65536,
        BackingFilename = "base.qcow2",
        FullBackingFilename = "base.qcow2",
        BackingFilenameFormat = "qcow2",
        FormatSpecific = new FormatSpecificInfo("qcow2", new QapiObject()
            .Add("compat", "1.1").Add("compression-type", "zlib").Add("lazy-refcounts", false)
            .Add("refcount-bits", 16L).Add("corrupt", false).Add("extended-l2", false)),
    };

    [TestMethod]
    public void InfoHumanMatchesCapturedQemuOutput()
    {
        const string expected = """
image: top.qcow2
file format: qcow2
virtual size: 64 MiB (67108864 bytes)
disk size: 196 KiB
cluster_size: 65536
backing file: base.qcow2
backing file format: qcow2
Format specific information:
    compat: 1.1
    compression type: zlib
    lazy refcounts: false
    refcount bits: 16
    corrupt: false
    extended l2: false

""";
        Assert.AreEqual(expected, InfoPresenter.Human(Top));
    }

    [TestMethod]
    public void InfoHumanOptionalLines()
    {
        var info = Top with
        {
            Encrypted = true, DirtyFlag = true, ActualSize = null, FullBackingFilename = "sub/base.qcow2",
            FormatSpecific = null, ClusterSize = null,
        };
        string text = InfoPresenter.Human(info);
        StringAssert.Contains(text, "disk size: unavailable\nencrypted: yes\ncleanly shut down: no\nbacking file: base.qcow2 (actual path: sub/base.qcow2)\n");
        Assert.IsFalse(text.Contains("cluster_size", StringComparison.Ordinal));
        Assert.IsFalse(text.Contains("Format specific", StringComparison.Ordinal));
        StringAssert.Contains(InfoPresenter.Human(info with { FullBackingFilename = null }), "backing file: base.qcow2 (cannot determine actual path)\n");
    }

    [TestMethod]
    public void BackingChainBlocksAreSeparatedByOneBlankLine()
    {
        var raw = new ImageInfo { Filename = "r.raw", Format = "raw", DirtyFlag = false, ActualSize = 4096, VirtualSize = 1024 };
        string text = InfoPresenter.Human([raw, raw]);
        Assert.AreEqual(InfoPresenter.Human(raw) + "\n" + InfoPresenter.Human(raw), text);
        string json = InfoPresenter.Json([raw]);
        Assert.IsTrue(json.StartsWith("[\n    {\n        \"virtual-size\": 1024,", StringComparison.Ordinal), json);
        Assert.IsTrue(json.EndsWith("    }\n]\n", StringComparison.Ordinal), json);
    }

    [TestMethod]
    public void FormatSpecificDumpOfListsAndEmptyValues()
    {
        var data = new QapiObject()
            .Add("bitmaps", new List<object>
            {
                new QapiObject().Add("flags", new List<object> { "auto" }).Add("name", "bm0").Add("granularity", 65536L),
                new QapiObject().Add("flags", new List<object>()).Add("name", "bm1").Add("granularity", 131072L),
            })
            .Add("format", "");
        const string expected = """
    bitmaps:
        [0]:
            flags:
                [0]: auto
            name: bm0
            granularity: 65536
        [1]:
            flags:
            name: bm1
            granularity: 131072
    format: 

""";
        Assert.AreEqual(expected, QObjectHumanDumper.Dump(data, 1));
    }

    [TestMethod]
    public void SnapshotTableLayout()
    {
        Assert.AreEqual("ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT", SnapshotTable.Header());
        var s = new SnapshotInfo("1", "snap1", 0, 0, 0, 3_723_456_000_000, -1);
        string row = SnapshotTable.Row(s);
        Assert.IsTrue(row.StartsWith("1         snap1                 0 B ", StringComparison.Ordinal), row);
        Assert.IsTrue(row.EndsWith(" 01:02:03.456           ", StringComparison.Ordinal), $"[{row}]");
        Assert.AreEqual(SnapshotTable.Header().Length, row.Length);
    }

    [TestMethod]
    public void CheckHumanCleanWithAllocationLine()
    {
        var r = new CheckResult { TotalClusters = 1024, AllocatedClusters = 17, ImageEndOffset = 1703936 };
        Assert.AreEqual("No errors were found on the image.\n17/1024 = 1.66% allocated, 0.00% fragmented, 0.00% compressed clusters\nImage end offset: 1703936\n",
            CheckPresenter.Human(r));
    }

    [TestMethod]
    public void CheckHumanParagraphs()
    {
        var r = new CheckResult { Corruptions = 1, Leaks = 2, CheckErrors = 3 };
        Assert.AreEqual(
            "\n1 errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.\n" +
            "\n2 leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n" +
            "\n3 internal errors have occurred during the check.\n",
            CheckPresenter.Human(r));
        Assert.AreEqual("No errors were found on the image.\nImage end offset: 1048576\n",
            CheckPresenter.Human(new CheckResult { ImageEndOffset = 1048576 }));
    }

    [TestMethod]
    public void CheckJsonMatchesCapturedQemuOutput()
    {
        var r = new CheckResult { TotalClusters = 1024, AllocatedClusters = 17, ImageEndOffset = 1703936, Leaks = 1 };
        const string expected = """
{
    "image-end-offset": 1703936,
    "total-clusters": 1024,
    "check-errors": 0,
    "leaks": 1,
    "allocated-clusters": 17,
    "filename": "leak.qcow2",
    "format": "qcow2"
}

""";
        Assert.AreEqual(expected, CheckPresenter.Json(r, "leak.qcow2", "qcow2"));
    }

    [TestMethod]
    public void RepairPreamble() =>
        Assert.AreEqual("The following inconsistencies were found and repaired:\n\n    1 leaked clusters\n    0 corruptions\n\nDouble checking the fixed image now...\n",
            CheckPresenter.RepairPreamble(new CheckResult { LeaksFixed = 1 }));

    [TestMethod]
    public void MapLines()
    {
        var data = new MapEntry(0x80000, 0x100000, 0, true, false, true, false, 0x50000, "top.qcow2");
        Assert.AreEqual("0x80000         0x100000        0x50000         top.qcow2\n", MapPresenter.HumanLine(data));
        Assert.IsNull(MapPresenter.HumanLine(data with { Zero = true }));
        Assert.ThrowsExactly<MapHumanException>(() => MapPresenter.HumanLine(data with { Offset = null, Filename = null }));
        Assert.AreEqual("{ \"start\": 524288, \"length\": 1048576, \"depth\": 0, \"present\": true, \"zero\": false, \"data\": true, \"offset\": 327680}",
            MapPresenter.JsonEntry(data));
        var hole = new MapEntry(1572864, 8912896, 1, false, true, false, false, null, null);
        Assert.AreEqual("{ \"start\": 1572864, \"length\": 8912896, \"depth\": 1, \"present\": false, \"zero\": true, \"data\": false}",
            MapPresenter.JsonEntry(hole));
    }

    [TestMethod]
    public void MeasureJsonOrder()
    {
        string json = QDictJsonWriter.Serialize(ImageMeasurer.ToQapi(new Engine.Block.MeasureResult(1441792, 67436544, 0)));
        Assert.AreEqual("{\n    \"bitmaps\": 0,\n    \"required\": 1441792,\n    \"fully-allocated\": 67436544\n}", json);
    }

    [TestMethod]
    public void ProgressLineAndThresholds()
    {
        var sw = new StringWriter();
        var p = new ProgressPrinter(sw, true, 1.0f);
        p.SetAbsolute(0);
        p.SetAbsolute(0.5);   // not more than 1.0 above the last print
        p.SetAbsolute(4);
        p.SetAbsolute(150);   // clamped
        p.End();
        Assert.AreEqual("    (0.00/100%)\r    (4.00/100%)\r    (100.00/100%)\r\n", sw.ToString());

        var quiet = new StringWriter();
        var q = new ProgressPrinter(quiet, false, 1.0f);
        q.SetAbsolute(50);
        q.End();
        Assert.AreEqual("", quiet.ToString());
    }

    [TestMethod]
    public void OptionHelpLayout()
    {
        var opts = new[]
        {
            new Engine.Options.CreateOption("size", Engine.Options.OptionType.Size, "Virtual disk size"),
            new Engine.Options.CreateOption("extent_size_hint", Engine.Options.OptionType.Size, "Extent size hint for the image file, 0 to disable"),
            new Engine.Options.CreateOption("nocow", Engine.Options.OptionType.Bool, "Turn off copy-on-write (valid only on btrfs)"),
        };
        Assert.AreEqual(
            "  extent_size_hint=<size> - Extent size hint for the image file, 0 to disable\n" +
            "  nocow=<bool (on/off)>  - Turn off copy-on-write (valid only on btrfs)\n" +
            "  size=<size>            - Virtual disk size\n",
            OptionHelpPresenter.List(opts));
    }
}
