using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Registry;

namespace ImageBuild.Oci.Tests.Registry;

/// <summary>The upload chunk buffer: bounded arrays, exact bodies from any offset, the digest of everything read.</summary>
[TestClass]
public sealed class ChunkBufferTests
{
    public TestContext TestContext { get; set; } = null!;

    private static async Task<byte[]> Body(ChunkBuffer buffer, long offset)
    {
        using var content = buffer.Content(offset);
        Assert.AreEqual(buffer.Length - offset, content.Headers.ContentLength);
        return await content.ReadAsByteArrayAsync();
    }

    [TestMethod]
    public async Task SmallContentTakesOneSmallArray()
    {
        using var buffer = new ChunkBuffer(16 << 20);
        var data = TestData.Bytes(1000, 50);
        await buffer.FillAsync(new MemoryStream(data), TestContext.CancellationToken);
        Assert.IsTrue(buffer.Ended);
        Assert.AreEqual(1000, buffer.Length);
        Assert.AreEqual(64 << 10, buffer.LargestSegment);
        CollectionAssert.AreEqual(data, await Body(buffer, 0));
        CollectionAssert.AreEqual(data[300..], await Body(buffer, 300));
        Assert.AreEqual(OciDigest.Of(data), buffer.Digest());
    }

    [TestMethod]
    public async Task LargeChunksStayInArraysBelow16MiB()
    {
        const long chunk = 20 << 20;
        using var buffer = new ChunkBuffer(chunk);
        var data = TestData.Bytes((int)chunk + 12345, 51);
        var source = new ForwardOnlyStream(new MemoryStream(data));
        await buffer.FillAsync(source, TestContext.CancellationToken);
        Assert.IsFalse(buffer.Ended);
        Assert.AreEqual(chunk, buffer.Length);
        Assert.AreEqual(ChunkBuffer.MaxSegment, buffer.LargestSegment);
        CollectionAssert.AreEqual(data[..(int)chunk], await Body(buffer, 0));
        foreach (long offset in new long[] { 1, (64 << 10) - 1, 64 << 10, (192 << 10) + 7, 9 << 20, chunk - 1 })
            CollectionAssert.AreEqual(data[(int)offset..(int)chunk], await Body(buffer, offset), $"from {offset}");

        await buffer.FillAsync(source, TestContext.CancellationToken);
        Assert.AreEqual(12345, buffer.Length);
        CollectionAssert.AreEqual(data[(int)chunk..], await Body(buffer, 0));
        await buffer.FillAsync(source, TestContext.CancellationToken);
        Assert.IsTrue(buffer.Ended);
        Assert.AreEqual(0, buffer.Length);
        Assert.AreEqual(data.Length, buffer.TotalRead);
        Assert.AreEqual(OciDigest.Of(data), buffer.Digest());
        Assert.IsTrue(buffer.LargestSegment < 16 << 20);
    }

    [TestMethod]
    public async Task ResetStartsTheDigestOver()
    {
        using var buffer = new ChunkBuffer(100);
        await buffer.FillAsync(new MemoryStream(TestData.Bytes(150, 52)), TestContext.CancellationToken);
        buffer.Reset();
        var data = TestData.Bytes(50, 53);
        await buffer.FillAsync(new MemoryStream(data), TestContext.CancellationToken);
        Assert.AreEqual(OciDigest.Of(data), buffer.Digest());
        Assert.AreEqual(50, buffer.TotalRead);
    }
}
