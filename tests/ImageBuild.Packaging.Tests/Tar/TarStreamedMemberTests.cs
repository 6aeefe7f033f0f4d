using System.Security.Cryptography;
using ImageBuild.Packaging.Tar;

namespace ImageBuild.Packaging.Tests.Tar;

/// <summary>Members copied from streams: hashing while writing, progress, short streams, the writer's states.</summary>
[TestClass]
public sealed class TarStreamedMemberTests
{
    [TestMethod]
    public void ObserveSeesEveryByteAndProgressCountsThem()
    {
        byte[] content = TarScratch.NonZero(3_000_000, 7); // several 1 MiB copies and a partial one
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var progress = new List<long>();
        var output = new MemoryStream();
        using (var w = new DeterministicTarWriter(output, TarFormat.Ustar, TarScratch.Mtime, leaveOpen: true))
            w.AddFile("disk.vmdk", new TrickleStream(content), content.Length, observe: hash.AppendData, progress: progress.Add);
        CollectionAssert.AreEqual(SHA256.HashData(content), hash.GetHashAndReset());
        Assert.AreEqual(content.LongLength, progress[^1]);
        CollectionAssert.AreEqual(progress.Order().ToList(), progress, "progress only grows");
        CollectionAssert.AreEqual(content, output.ToArray().AsSpan(512, content.Length).ToArray(), "the content follows its header");
    }

    [TestMethod]
    public void AShortStreamFailsAndTheArchiveIsNotFinished()
    {
        var output = new MemoryStream();
        var w = new DeterministicTarWriter(output, TarFormat.Ustar, TarScratch.Mtime, leaveOpen: true);
        var e = Assert.ThrowsExactly<IOException>(() => w.AddFile("disk.vmdk", new MemoryStream(new byte[1000]), 4096));
        Assert.AreEqual("tar member 'disk.vmdk': its content ended after 1000 of 4096 bytes", e.Message);
        Assert.ThrowsExactly<InvalidOperationException>(() => w.AddFile("b", "x"u8));
        w.Dispose();
        Assert.AreEqual(1512L, output.Length, "no end-of-archive blocks after a broken member: it cannot pass for a valid archive");
    }

    [TestMethod]
    public void NothingIsAddedAfterFinishAndDisposeFinishesOnce()
    {
        var output = new MemoryStream();
        var w = new DeterministicTarWriter(output, TarFormat.Gnu, TarScratch.Mtime, leaveOpen: true);
        w.AddFile("a", "x"u8);
        w.Finish();
        Assert.AreEqual((long)DeterministicTarWriter.RecordSize, output.Length);
        Assert.ThrowsExactly<InvalidOperationException>(() => w.AddFile("b", "x"u8));
        w.Dispose();
        w.Dispose();
        Assert.AreEqual((long)DeterministicTarWriter.RecordSize, output.Length);

        var closed = new MemoryStream();
        new DeterministicTarWriter(closed, TarFormat.Gnu, 0).Dispose();
        Assert.IsFalse(closed.CanWrite, "the output is closed unless left open");
    }

    [TestMethod]
    public void AnEmptyArchiveIsOneRecordOfZeros()
    {
        var output = new MemoryStream();
        new DeterministicTarWriter(output, TarFormat.Ustar, TarScratch.Mtime, leaveOpen: true).Dispose();
        Assert.AreEqual((long)DeterministicTarWriter.RecordSize, output.Length);
        Assert.IsFalse(output.ToArray().AsSpan().ContainsAnyExcept((byte)0));
    }

    [TestMethod]
    public void BadModesAndSparseUstarAreRefusedBeforeWriting()
    {
        var output = new MemoryStream();
        using var w = new DeterministicTarWriter(output, TarFormat.Ustar, TarScratch.Mtime, leaveOpen: true);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => w.AddFile("a", "x"u8, mode: 0b1_000_000_000_000));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => w.AddSparseFile("disk.raw", "/nonexistent"));
        Assert.AreEqual("tar member 'disk.raw': sparse members need the GNU format (ustar has none)", e.Message);
        Assert.AreEqual(0L, output.Length);
        w.AddFile("a", "x"u8); // still usable
        Assert.AreEqual(1024L, output.Length);
    }

    /// <summary>Returns at most 100 000 bytes per read, so the copy loop sees short reads.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 100_000));
    }
}
