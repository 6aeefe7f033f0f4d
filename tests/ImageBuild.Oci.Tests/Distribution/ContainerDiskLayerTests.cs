using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using ImageBuild.Oci.Distribution;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Distribution;

/// <summary>The containerDisk layer: what GNU tar sees in it, its determinism, and the extractor's refusals.</summary>
[TestClass]
public sealed class ContainerDiskLayerTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Ct => TestContext.CancellationToken;

    [TestMethod]
    [RequiresTool("tar")]
    public async Task GnuTarExtractsDiskUnderDiskOwnedByQemu()
    {
        using var tmp = new TempDir();
        string disk = tmp["fedora.qcow2"];
        WriteSparse(disk, 3 << 20, (0, 0x11), (2 << 20, 0x22));
        string layer = tmp["layer.tar.gz"];
        await WriteLayerAsync(disk, "fedora.qcow2", layer);

        var list = ExternalTools.RunOk("tar", tmp.Path, "--numeric-owner", "--full-time", "-tvzf", layer).StdOut;
        string[] lines = list.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(2, lines, list);
        StringAssert.StartsWith(lines[0], "dr-xr-xr-x 107/107");
        StringAssert.EndsWith(lines[0], " 1970-01-01 00:00:00 disk/");
        StringAssert.StartsWith(lines[1], "-r--r----- 107/107");
        StringAssert.EndsWith(lines[1], $" {3 << 20} 1970-01-01 00:00:00 disk/fedora.qcow2");

        string into = tmp["x"];
        Directory.CreateDirectory(into);
        ExternalTools.RunOk("tar", into, "-xzf", layer);
        CollectionAssert.AreEqual(File.ReadAllBytes(disk), File.ReadAllBytes(Path.Combine(into, "disk", "fedora.qcow2")));
    }

    [TestMethod]
    public async Task SameBytesGiveTheSameLayerWhateverTheFileTimes()
    {
        using var tmp = new TempDir();
        WriteSparse(tmp["a.raw"], 1 << 20, (4096, 0x5a));
        File.Copy(tmp["a.raw"], tmp["b.raw"]);
        File.SetLastWriteTimeUtc(tmp["b.raw"], new DateTime(2020, 5, 5, 0, 0, 0, DateTimeKind.Utc));
        var first = await WriteLayerAsync(tmp["a.raw"], "disk.raw", tmp["1.gz"]);
        var second = await WriteLayerAsync(tmp["b.raw"], "disk.raw", tmp["2.gz"]);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["1.gz"]), File.ReadAllBytes(tmp["2.gz"]));
        Assert.AreEqual(first, second);
        Assert.AreEqual(1 << 20, first.FileSize);
        // the diff_id is the digest of the uncompressed tar
        using var gz = new GZipStream(File.OpenRead(tmp["1.gz"]), CompressionMode.Decompress);
        using var tar = new MemoryStream();
        gz.CopyTo(tar);
        Assert.AreEqual(first.TarSize, tar.Length);
        Assert.AreEqual("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar.ToArray())), first.DiffId);
    }

    [TestMethod]
    public async Task ExtractorRestoresTheFileSparse()
    {
        using var tmp = new TempDir();
        long size = 64L << 20;
        WriteSparse(tmp["disk.raw"], size, (0, 1), (size - 4096, 2));
        var written = await WriteLayerAsync(tmp["disk.raw"], "disk.raw", tmp["layer.gz"]);
        string name;
        await using (var layer = File.OpenRead(tmp["layer.gz"]))
            name = await ContainerDiskExtractor.ExtractAsync(layer, tmp["out.raw"], written.DiffId, size, "test", Ct);
        Assert.AreEqual("disk.raw", name);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["disk.raw"]), File.ReadAllBytes(tmp["out.raw"]));
        Assert.IsLessThan(size / 4, AllocatedBytes(tmp["out.raw"]), "the zero blocks stay holes");
    }

    [TestMethod]
    public async Task ExtractorRefusesAWrongDiffIdAndLeavesNoFile()
    {
        using var tmp = new TempDir();
        WriteSparse(tmp["disk.raw"], 8192, (0, 7));
        await WriteLayerAsync(tmp["disk.raw"], "disk.raw", tmp["layer.gz"]);
        await AssertRefusedAsync(File.ReadAllBytes(tmp["layer.gz"]), "sha256:" + new string('0', 64), tmp["out"], "not the sha256:0000");
    }

    [TestMethod]
    [DataRow("traversal", "disk/../evil", "has a directory part")]
    [DataRow("outside", "etc/passwd", "not only disk/NAME")]
    [DataRow("subdirectory", "disk/a/b", "has a directory part")]
    [DataRow("hidden", "disk/.x", "is hidden")]
    public async Task ExtractorRefusesFilesElsewhere(string what, string entryName, string message)
    {
        using var tmp = new TempDir();
        var (layer, diffId) = HostileLayer(w => AddFile(w, entryName, [1, 2, 3]));
        await AssertRefusedAsync(layer, diffId, tmp["out"], message, what);
    }

    [TestMethod]
    public async Task ExtractorRefusesTwoFilesALinkAndNoFile()
    {
        using var tmp = new TempDir();
        var (two, twoId) = HostileLayer(w => { AddFile(w, "disk/a", [1]); AddFile(w, "disk/b", [2]); });
        await AssertRefusedAsync(two, twoId, tmp["two"], "two disk files");
        var (link, linkId) = HostileLayer(w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "disk/a") { LinkName = "/etc/shadow" }));
        await AssertRefusedAsync(link, linkId, tmp["link"], "SymbolicLink");
        var (none, noneId) = HostileLayer(w => w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "disk/")));
        await AssertRefusedAsync(none, noneId, tmp["none"], "no file under disk/");
    }

    [TestMethod]
    public async Task ExtractorRefusesAFileOverTheLimitGarbageAndATruncatedLayer()
    {
        using var tmp = new TempDir();
        var (big, bigId) = HostileLayer(w => AddFile(w, "disk/a", new byte[10_000]));
        await using (var s = new MemoryStream(big))
        {
            var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => ContainerDiskExtractor.ExtractAsync(s, tmp["big"], bigId, 9_999, "test", Ct));
            StringAssert.Contains(e.Message, "more than the 9999 allowed");
        }
        Assert.IsFalse(File.Exists(tmp["big"]));
        await AssertRefusedAsync("not gzip at all"u8.ToArray(), bigId, tmp["garbage"], "no valid gzip tar");
        var (whole, wholeId) = HostileLayer(w => AddFile(w, "disk/a", RandomNumberGenerator.GetBytes(100_000)));
        await AssertRefusedAsync(whole[..(whole.Length / 2)], wholeId, tmp["cut"], "test: ");
    }

    private async Task AssertRefusedAsync(byte[] layer, string diffId, string destination, string message, string what = "")
    {
        await using var s = new MemoryStream(layer);
        var e = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => ContainerDiskExtractor.ExtractAsync(s, destination, diffId, 1 << 30, "test", Ct), what);
        StringAssert.StartsWith(e.Message, "test: ");
        StringAssert.Contains(e.Message, message, what);
        Assert.DoesNotContain("\n", e.Message);
        Assert.IsFalse(File.Exists(destination), "a refused layer leaves no file");
    }

    private static void AddFile(TarWriter writer, string name, byte[] data) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });

    /// <summary>A gzip tar written by <paramref name="fill"/>, with its diff_id.</summary>
    private static (byte[] Layer, string DiffId) HostileLayer(Action<TarWriter> fill)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            fill(writer);
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            z.Write(tar.ToArray());
        return (gz.ToArray(), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar.ToArray())));
    }

    private async Task<ContainerDiskLayerResult> WriteLayerAsync(string disk, string name, string layer)
    {
        await using var output = File.Create(layer);
        return await ContainerDiskLayer.WriteAsync(disk, name, output, Ct);
    }

    /// <summary>A file of <paramref name="size"/> bytes, holes but for 4 KiB blocks filled with the given bytes.</summary>
    internal static void WriteSparse(string path, long size, params (long Offset, byte Value)[] blocks)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write);
        f.SetLength(size);
        foreach (var (offset, value) in blocks)
        {
            f.Position = offset;
            f.Write(Enumerable.Repeat(value, 4096).ToArray());
        }
    }

    internal static long AllocatedBytes(string path)
    {
        var r = QemuOracle.Run("stat", ["-c", "%b %B", path]);
        string[] parts = r.StdOut.Trim().Split(' ');
        return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
