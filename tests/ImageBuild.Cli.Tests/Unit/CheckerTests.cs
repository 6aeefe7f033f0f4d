using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Cli.Tests.Unit;

/// <summary>The engine's check flow (repair, then a read-only re-check that carries the fixed counts) over a fake device.</summary>
[TestClass]
public sealed class CheckerTests
{
    private sealed class CheckableDevice(string path, HostFile file, Queue<CheckResult> results) : BlockDevice(path, readOnly: false)
    {
        public List<CheckRepair> Calls { get; } = [];
        public override string FormatName => "fake";
        public override long VirtualSize => 512;
        public override HostFile File => file;
        public override bool SupportsCheck => true;
        protected override void ReadCore(long offset, Span<byte> dest) => dest.Clear();
        public override DriverStatus GetDriverStatus(long offset, long length) => new(length, BlockStatusFlags.Zero);

        public override CheckResult Check(CheckRepair repair, ICheckLog log)
        {
            Calls.Add(repair);
            log.Message($"check {repair}");
            return results.Dequeue();
        }

        protected override void Dispose(bool disposing) => file.Dispose();
    }

    private sealed class ListLog : ICheckLog
    {
        public List<string> Lines { get; } = [];
        public void Message(string line) => Lines.Add(line);
    }

    private static void WithDevice(Queue<CheckResult> results, Action<CheckableDevice> body)
    {
        string path = Path.Combine(Path.GetTempPath(), "imagebuild-check-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, new byte[512]);
        try
        {
            using var dev = new CheckableDevice(path, HostFile.Open(path, writable: false), results);
            body(dev);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void RepairTriggersASecondReadOnlyCheckCarryingFixedCounts()
    {
        var first = new CheckResult { LeaksFixed = 2, CorruptionsFixed = 1 };
        var second = new CheckResult { Leaks = 0, TotalClusters = 10, AllocatedClusters = 3 };
        WithDevice(new Queue<CheckResult>([first, second]), dev =>
        {
            var log = new ListLog();
            var outcome = ImageChecker.Check(dev, CheckRepair.All, log);
            Assert.IsTrue(outcome.Repaired);
            CollectionAssert.AreEqual(new[] { CheckRepair.All, CheckRepair.None }, dev.Calls);
            Assert.AreEqual(2, outcome.Result.LeaksFixed);
            Assert.AreEqual(1, outcome.Result.CorruptionsFixed);
            Assert.AreEqual(3, outcome.Result.AllocatedClusters);
            CollectionAssert.AreEqual(new[] { "check All", "check None" }, log.Lines);
        });
    }

    [TestMethod]
    public void NothingFixedMeansOneCheck()
    {
        WithDevice(new Queue<CheckResult>([new CheckResult { Leaks = 4 }]), dev =>
        {
            var outcome = ImageChecker.Check(dev, CheckRepair.Leaks, new ListLog());
            Assert.IsFalse(outcome.Repaired);
            Assert.AreEqual(1, dev.Calls.Count);
            Assert.AreEqual(4, outcome.Result.Leaks);
        });
    }

    [TestMethod]
    public void JsonMembersOnlyWhenNonZero()
    {
        var keys = ImageChecker.ToQapi(new CheckResult { CorruptionsFixed = 1 }, "f", "qcow2").Select(p => p.Key).ToArray();
        CollectionAssert.AreEqual(new[] { "filename", "format", "check-errors", "corruptions-fixed" }, keys);
    }
}
