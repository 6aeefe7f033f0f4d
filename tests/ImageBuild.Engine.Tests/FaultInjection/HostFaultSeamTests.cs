using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.FaultInjection;

/// <summary>The seam itself: what a host file reports for an injected error, and what a crash leaves on disk.</summary>
[TestClass]
public sealed class HostFaultSeamTests
{
    [TestMethod]
    public void InjectedErrorsReadAsTheHostsOwnErrors()
    {
        using var tmp = new TempDir();
        string path = tmp["f.img"];
        File.WriteAllBytes(path, new byte[4096]);

        using (var f = HostFile.Open(path, writable: true, HostFaultPlan.FailAt(0, HostFaultPlan.ENOSPC)))
            Assert.AreEqual($"error while writing '{path}' at offset 512: No space left on device",
                Assert.ThrowsExactly<ImageException>(() => f.Write(512, new byte[512])).Message);
        using (var f = HostFile.Open(path, writable: true, HostFaultPlan.FailAt(0, HostFaultPlan.EIO)))
            Assert.AreEqual($"error while flushing '{path}': Input/output error",
                Assert.ThrowsExactly<ImageException>(f.Flush).Message);
        using (var f = HostFile.Open(path, writable: true, HostFaultPlan.FailAt(0, HostFaultPlan.EIO)))
            Assert.AreEqual($"error while writing '{path}' at offset 1024: Input/output error",
                Assert.ThrowsExactly<ImageException>(() => f.ZeroRange(1024, 512)).Message);
        using (var f = HostFile.Open(path, writable: true, HostFaultPlan.FailAt(0, HostFaultPlan.ENOSPC)))
            Assert.AreEqual($"Could not resize '{path}' to 8192: No space left on device",
                Assert.ThrowsExactly<ImageException>(() => f.SetLength(8192)).Message);
    }

    [TestMethod]
    public void ACrashKeepsTheChangesBeforeItAndRefusesEveryLaterOne()
    {
        using var tmp = new TempDir();
        string path = tmp["f.img"];
        File.WriteAllBytes(path, new byte[1024]);
        byte[]? onDisk = null;
        var plan = HostFaultPlan.CrashBefore(2, () => onDisk = File.ReadAllBytes(path));
        using (var f = HostFile.Open(path, writable: true, plan))
        {
            f.Write(0, [1]);
            f.Flush();
            Assert.ThrowsExactly<SimulatedCrashException>(() => f.Write(1, [2]));
            Assert.ThrowsExactly<SimulatedCrashException>(() => f.Write(2, [3]));
        }
        Assert.IsNotNull(onDisk);
        CollectionAssert.AreEqual(new byte[] { 1, 0, 0 }, onDisk[..3]);
        CollectionAssert.AreEqual(new byte[] { 1, 0, 0 }, File.ReadAllBytes(path)[..3], "nothing after the crash point reached the file");
        Assert.HasCount(3, plan.Changes);
        Assert.AreEqual(HostFileChange.Flush, plan.Changes[1].Change);
    }

    /// <summary>AFL crash (qcow2 target): a snapshot L1 offset with bit 63 set reached RandomAccess.Read as a negative offset.</summary>
    [TestMethod]
    public void NegativeOrOverflowingOffsetsAreImageExceptions()
    {
        using var tmp = new TempDir();
        string path = tmp["f.img"];
        File.WriteAllBytes(path, new byte[16]);
        using var f = HostFile.Open(path, writable: true);
        Assert.AreEqual($"error while reading '{path}' at offset -8: Invalid argument",
            Assert.ThrowsExactly<ImageException>(() => f.Read(-8, new byte[8])).Message);
        Assert.AreEqual($"error while reading '{path}' at offset {long.MaxValue - 4}: Invalid argument",
            Assert.ThrowsExactly<ImageException>(() => f.Read(long.MaxValue - 4, new byte[8])).Message);
        Assert.AreEqual($"error while writing '{path}' at offset -512: Invalid argument",
            Assert.ThrowsExactly<ImageException>(() => f.Write(-512, new byte[8])).Message);
    }

    [TestMethod]
    public void WithoutAPlanNothingIsConsulted()
    {
        using var tmp = new TempDir();
        string path = tmp["f.img"];
        File.WriteAllBytes(path, new byte[16]);
        using (var f = HostFile.Open(path, writable: true))
        {
            f.Write(0, [7]);
            f.Flush();
        }
        Assert.AreEqual(7, File.ReadAllBytes(path)[0]);
    }
}
