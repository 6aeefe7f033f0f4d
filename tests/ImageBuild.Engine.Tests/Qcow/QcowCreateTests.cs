using System.Buffers.Binary;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow.QcowTestSupport;

namespace ImageBuild.Engine.Tests.Qcow;

[TestClass]
public sealed class QcowCreateTests
{
    /// <summary>qemu-img create -f qcow and ours give the same bytes for every option and shape of the layout.</summary>
    [TestMethod]
    [RequiresQemu]
    [DataRow(1L, "", null)]
    [DataRow(511L, "", null)]
    [DataRow(512L, "", null)]
    [DataRow(513L, "", null)]
    [DataRow(1L << 20, "", null)]
    [DataRow((2L << 20) + 1, "", null)]
    [DataRow(100L << 20, "", null)]
    [DataRow(10L << 30, "", null)]
    [DataRow(1L << 40, "", null)] // a 4 MiB L1 table written as zeroed sectors
    [DataRow(1L << 20, "encryption=off", null)]
    [DataRow(1L << 20, "backing_fmt=qcow2", null)]
    [DataRow(1L << 20, "preallocation=full", null)] // the file protocol's: nothing to allocate in an empty file
    [DataRow(1L << 20, "preallocation=falloc,nocow=on,extent_size_hint=0", null)]
    [DataRow(1L << 20, "", "base.img")] // 512-byte clusters, 4096-entry L2 tables, the name at 48
    [DataRow(3L << 30, "", "dir/../base image.raw")]
    [DataRow(1L << 20, "", "bäse-ünïcode.img")]
    [DataRow(1L << 20, "", "fat:")] // vvfat's name: not stored, yet 512-byte clusters
    public void CreateIsByteIdenticalToQemu(long size, string options, string? backing)
    {
        using var tmp = new TempDir();
        CreateQemu(tmp["q.qcow"], size, options, backing);
        CreateOurs(tmp["t.qcow"], size, options, backing);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["q.qcow"]), File.ReadAllBytes(tmp["t.qcow"]));
    }

    [TestMethod]
    [RequiresQemu]
    public void LongBackingNameIsStoredWholeAsQemuDoes()
    {
        using var tmp = new TempDir();
        string name = new string('n', 1500) + ".img";
        CreateQemu(tmp["q.qcow"], 1 << 20, "", name);
        CreateOurs(tmp["t.qcow"], 1 << 20, "", name);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["q.qcow"]), File.ReadAllBytes(tmp["t.qcow"]));
        // qemu's own open refuses such a name, and so do we
        var e = Assert.ThrowsExactly<ImageException>(() => Open(tmp["t.qcow"], noBacking: true).Dispose());
        StringAssert.EndsWith(e.Message, ": Backing file name too long");
    }

    [TestMethod]
    public void HeaderFieldsAreQemus()
    {
        using var tmp = new TempDir();
        CreateOurs(tmp["a.qcow"], 5 << 20, "", "base.raw");
        var b = File.ReadAllBytes(tmp["a.qcow"]);
        Assert.AreEqual(0x514649FBu, BinaryPrimitives.ReadUInt32BigEndian(b));
        Assert.AreEqual(1u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(4)));
        Assert.AreEqual(48ul, BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(8)), "backing name offset");
        Assert.AreEqual(8u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(16)), "backing name length");
        Assert.AreEqual(0u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(20)), "mtime: qemu writes 0");
        Assert.AreEqual(5ul << 20, BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(24)));
        Assert.AreEqual(9, b[32], "cluster_bits with a backing file");
        Assert.AreEqual(12, b[33], "l2_bits with a backing file");
        Assert.AreEqual(0u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(36)), "crypt_method");
        Assert.AreEqual(56ul, BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(40)), "L1 after the name, 8-aligned");
        Assert.AreEqual("base.raw", System.Text.Encoding.ASCII.GetString(b, 48, 8));
        Assert.AreEqual(56 + 512, b.Length, "3 L1 entries in one zeroed sector");
        using var dev = Open(tmp["a.qcow"], noBacking: true);
        Assert.AreEqual(512, dev.ClusterSize);
        Assert.AreEqual(5L << 20, dev.VirtualSize);
        Assert.AreEqual("base.raw", dev.BackingFilename);
        Assert.IsNull(dev.BackingFormat, "qcow stores no backing format");
    }

    /// <summary>
    /// qemu's refusals, with its words, and what it leaves: the backing format and the encryption alias are checked
    /// before the file exists; the file is then created empty and left behind by the later refusals.
    /// </summary>
    [TestMethod]
    [DataRow("backing_fmt=foo", 1L << 20, "unrecognized backing format 'foo'", -1L)]
    [DataRow("encryption=on,encrypt.format=aes", 1L << 20, "'encrypt.format' and its alias 'encryption' can't be used at the same time", -1L)]
    [DataRow("preallocation=metadata", 1L << 20, "Unsupported preallocation mode: metadata", 0L)]
    [DataRow("encrypt.format=foo", 1L << 20, "Parameter 'format' does not accept value 'foo'", 0L)]
    [DataRow("encryption=yes", 1L << 20, "Parameter 'format' does not accept value 'yes'", 0L)] // only "on" means aes
    [DataRow("encrypt.key-secret=s0", 1L << 20, "Parameter 'encrypt.format' is missing", 0L)]
    [DataRow("", 0L, "Image size is too small, cannot be zero length", 0L)]
    [DataRow("encryption=on", 0L, "Image size is too small, cannot be zero length", 0L)]
    [DataRow("encrypt.format=luks", 1L << 20, "Unsupported encryption format", 0L)]
    [DataRow("encryption=on", 1L << 20, "Parameter 'encrypt.key-secret' is required for cipher", 0L)]
    [DataRow("encrypt.format=aes", 1L << 20, "Parameter 'encrypt.key-secret' is required for cipher", 0L)]
    [DataRow("encryption=off,encrypt.format=qcow", 1L << 20, "Parameter 'encrypt.key-secret' is required for cipher", 0L)]
    [DataRow("encrypt.format=aes,encrypt.key-secret=s0", 1L << 20, "No secret with id 's0'", 0L)] // the context has no secrets
    // qemu writes a 4 GiB L1 table its own open then refuses ("Image too large"); we refuse to create it
    [DataRow("", 1L << 50, "The image size is too large for file format 'qcow'", 0L)]
    [DataRow("", long.MaxValue, "The image size is too large for file format 'qcow'", 0L)]
    public void RefusalsAreQemus(string options, long size, string message, long leftLength)
    {
        using var tmp = new TempDir();
        string path = tmp["x.qcow"];
        var e = Assert.ThrowsExactly<ImageException>(() => CreateOurs(path, size, options));
        Assert.AreEqual($"{path}: {message}", e.Message);
        if (leftLength < 0)
            Assert.IsFalse(File.Exists(path), "refused before the file is created");
        else
            Assert.AreEqual(leftLength, new FileInfo(path).Length, "qemu leaves the file it created");
    }

    [TestMethod]
    public void LargestOpenableSizeIsCreated()
    {
        using var tmp = new TempDir();
        // 2^28 - 1 L1 entries of 2 MiB each: the largest L1 table qemu's qcow_open accepts; sparse enough for a test
        // only as a size check, so stop at the refusal boundary instead of writing the 2 GiB table.
        long justTooLarge = ((long)(int.MaxValue / 8) << 21) + 1;
        var e = Assert.ThrowsExactly<ImageException>(() => CreateOurs(tmp["x.qcow"], justTooLarge));
        StringAssert.EndsWith(e.Message, "The image size is too large for file format 'qcow'");
        CreateOurs(tmp["y.qcow"], 64L << 30);
        using var dev = Open(tmp["y.qcow"]);
        Assert.AreEqual(64L << 30, dev.VirtualSize);
    }

    [TestMethod]
    public void ExistingFileIsReplaced()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["x.qcow"], new byte[100_000]);
        CreateOurs(tmp["x.qcow"], 1 << 20);
        Assert.AreEqual(560, new FileInfo(tmp["x.qcow"]).Length);
    }

    [TestMethod]
    public void FormattingLineListsOptionsInQemusOrder()
    {
        using var tmp = new TempDir();
        string? line = null;
        ImageCreator.Create(Ctx(), new CreateImageRequest
        {
            Filename = tmp["x.qcow"], Format = "qcow", Size = 1 << 20, BackingFile = "b.raw", BackingFormat = "raw", BackingUnsafe = true,
            Options = OptionPairs("nocow=on,encryption=off"),
        }, l => line = l);
        Assert.AreEqual($"Formatting '{tmp["x.qcow"]}', fmt=qcow size=1048576 backing_file=b.raw backing_fmt=raw encryption=off nocow=on", line);
    }
}
