using System.Buffers.Binary;
using ImageBuild.Engine.Formats.Vmdk;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>
/// The KDMV sparse extent on its own: opening qemu-made images (hostile headers refused with qemu's own message,
/// tables past the end of the file read as qemu reads them, without allocating for them), reading through the grain
/// tables, allocating writes that qemu-io reads back and qemu-img checks clean, zeroed grains, compressed grains.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class SparseExtentTests
{
    private const int Grain = 65536;

    // header field offsets (VMware's SparseExtentHeader, magic included)
    private const int Version = 4, Capacity = 12, Granularity = 20, NumGtes = 44, GdOffset = 56, OverHead = 64;

    private static string Make(TempDir tmp, string options = "", string size = "4M")
    {
        string path = tmp["a.vmdk"];
        var args = new List<string> { "create", "-q", "-f", "vmdk" };
        if (options.Length > 0) { args.Add("-o"); args.Add(options); }
        args.AddRange([path, size]);
        QemuOracle.ImgOk([.. args]);
        return path;
    }

    private static void Patch(string path, long offset, ulong value, int width)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        f.Position = offset;
        f.Write(b, 0, width);
    }

    private static SparseExtent OpenExtent(string path, bool writable = false)
    {
        var file = HostFile.Open(path, writable);
        try
        {
            var probe = SparseExtent.Open(file, "SPARSE", 0, writable);
            return SparseExtent.Open(file, "SPARSE", probe.Capacity, writable);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static byte[] ReadAll(SparseExtent e)
    {
        var buf = new byte[e.Length];
        for (long off = 0; off < e.Length;)
        {
            var run = e.Lookup(off, e.Length - off);
            var dest = buf.AsSpan((int)off, (int)run.Length);
            if (run.State is GrainState.Data or GrainState.Compressed) e.ReadRun(run, off, dest);
            else dest.Clear();
            off += run.Length;
        }
        return buf;
    }

    /// <summary>qemu-img's message for an image it refuses to open: "Could not open 'F': MESSAGE".</summary>
    private static string QemuOpenError(string path)
    {
        var r = QemuOracle.Img("info", path);
        Assert.AreNotEqual(0, r.ExitCode, $"fixture: qemu-img refuses {path}");
        string prefix = $"qemu-img: Could not open '{path}': ";
        Assert.IsTrue(r.StdErr.StartsWith(prefix, StringComparison.Ordinal), r.StdErr);
        return r.StdErr[prefix.Length..].TrimEnd('\n');
    }

    [TestMethod]
    [DataRow("version-4", Version, 4UL, 4)]
    [DataRow("gtes-513", NumGtes, 513UL, 4)]
    [DataRow("granularity-0", Granularity, 0UL, 8)]
    [DataRow("granularity-4m", Granularity, 0x400000UL, 8)]
    [DataRow("granularity-2^32", Granularity, 1UL << 32, 8)] // 512 × 2^32 wraps qemu's 32-bit L1 entry size to 0
    [DataRow("truncated", OverHead, 0x100000UL, 8)]
    [DataRow("footer", GdOffset, ulong.MaxValue, 8)] // GD at the end, but no footer there
    [DataRow("capacity-2^54", Capacity, (1UL << 54) + 65536, 8)] // the disk's bytes overflow int64
    public void AHostileHeaderIsRefusedWithQemusMessage(string kind, int field, ulong value, int width)
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        Patch(path, field, value, width);
        string expected = QemuOpenError(path);
        var e = Assert.ThrowsExactly<ImageException>(() => OpenExtent(path).Dispose(), kind);
        Assert.AreEqual(expected, e.Message, kind);
    }

    [TestMethod]
    public void AGrainDirectoryTooLargeIsRefusedBeforeAnythingIsAllocated()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        Patch(path, Capacity, (32UL << 20) + 1, 8); // one sector per GD entry: 32 Mi + 1 entries
        Patch(path, Granularity, 1, 8);
        Patch(path, NumGtes, 1, 4);
        string expected = QemuOpenError(path);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.ThrowsExactly<ImageException>(() => OpenExtent(path).Dispose());
        Assert.AreEqual(expected, e.Message);
        Assert.IsTrue(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "no table allocated");
    }

    [TestMethod]
    public void VersionThreeUncompressedOpensReadOnlyOnlyAsInQemu()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        Patch(path, Version, 3, 4);
        Assert.AreEqual(0, QemuOracle.Img("info", path).ExitCode, "qemu-img reads it");
        OpenExtent(path).Dispose();
        var e = Assert.ThrowsExactly<ImageException>(() => OpenExtent(path, writable: true).Dispose());
        Assert.AreEqual("VMDK version 3 must be read only", e.Message);
        var io = QemuOracle.Io("-c", "write 0 512", path);
        StringAssert.Contains(io.StdErr + io.StdOut, "VMDK version 3 must be read only");
    }

    [TestMethod]
    public void ReadsEveryKindOfGrainAsQemuDoes()
    {
        foreach (string options in new[] { "", "zeroed_grain=on" })
        {
            using var tmp = new TempDir();
            string path = Make(tmp, options);
            QemuOracle.IoOk("-f", "vmdk", "-c", "write -P 0x11 0 100k", "-c", "write -P 0x22 1M 64k", "-c", "write -z 2M 128k",
                "-c", "write -P 0x33 3M 512", path);
            QemuOracle.ImgOk("convert", "-O", "raw", path, tmp["q.raw"]);
            using var e = OpenExtent(path);
            CollectionAssert.AreEqual(File.ReadAllBytes(tmp["q.raw"]), ReadAll(e), options);
            Assert.AreEqual(options.Length > 0, e.HasZeroedGrains);
            if (e.HasZeroedGrains)
                Assert.AreEqual(GrainState.Zero, e.Lookup(2 << 20, 128 << 10).State, "a zeroed grain");
            var run = e.Lookup(0, 4 << 20);
            Assert.AreEqual(GrainState.Data, run.State);
            Assert.AreEqual(2 * Grain, run.Length, "two grains stored one after the other read in one run");
        }
    }

    [TestMethod]
    public void TablesPastTheEndOfTheFileReadAsZerosWithoutAllocatingForThem()
    {
        using var tmp = new TempDir();
        string path = Make(tmp, "", "1G");
        QemuOracle.IoOk("-f", "vmdk", "-c", "write -P 0x11 0 64k", path);
        // 512 TiB (a GD of 16 Mi entries, 64 MiB) whose grain directory lies far past the end: qemu reads zeros
        // there (every grain unallocated)
        Patch(path, Capacity, 1UL << 40, 8);
        Patch(path, GdOffset, 0x7FFFFF00, 8);
        Assert.AreEqual(0, QemuOracle.Img("info", path).ExitCode);
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var e = OpenExtent(path))
        {
            Assert.IsTrue(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "nothing allocated for the 64 MiB GD past EOF (the redundant GD in the file is read: a quarter MiB)");
            Assert.AreEqual(new GrainRun(GrainState.Unallocated, 0, 1L << 30), e.Lookup(0, 1L << 30));
        }
    }

    [TestMethod]
    public void AGrainTablePastTheEndReadsAsUnallocatedAsInQemu()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        QemuOracle.IoOk("-f", "vmdk", "-c", "write -P 0x11 0 64k", path);
        long gd = 0;
        using (var f = HostFile.Open(path, false))
        {
            var h = new byte[512];
            f.Read(0, h);
            gd = (long)BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(GdOffset)) * 512;
        }
        Patch(path, gd, 0x7FFFFF00, 4); // GD entry 0 names a GT far past the end
        QemuOracle.ImgOk("convert", "-O", "raw", path, tmp["q.raw"]);
        using var e = OpenExtent(path);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["q.raw"]), ReadAll(e));
        Assert.AreEqual(GrainState.Unallocated, e.Lookup(0, Grain).State);
    }

    [TestMethod]
    public void AllocatingWritesCopyTheRestOfTheGrainFromBelowAndUpdateBothTables()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        using (var e = OpenExtent(path, writable: true))
        {
            BelowReader below = (offset, dest) => dest.Fill(0x77);
            e.Write(100_000, Enumerable.Repeat((byte)0x5A, 5000).ToArray(), below); // inside grain 1
            e.Write(3 * Grain - 100, Enumerable.Repeat((byte)0x6B, 200).ToArray(), below); // across grains 2 and 3
            e.Write(100_100, Enumerable.Repeat((byte)0x5C, 10).ToArray(), below); // into an allocated grain: no copy
        }
        QemuOracle.IoOk("-f", "vmdk", "-c", "read -P 0 0 64k", "-c", "read -P 0x77 64k 34464", "-c", "read -P 0x5a 100000 100",
            "-c", "read -P 0x5c 100100 10", "-c", "read -P 0x5a 100110 4890", "-c", "read -P 0x77 105000 26072",
            "-c", "read -P 0x77 128k 65436", "-c", "read -P 0x6b 196508 200", "-c", "read -P 0x77 196708 65436",
            "-c", "read -P 0 256k 3840k", path);
        Assert.AreEqual(0, QemuOracle.Img("check", path).ExitCode, "qemu-img check");
        // the grain tables and their redundant copies name the same grains
        using var f = HostFile.Open(path, false);
        var h = new byte[512];
        f.Read(0, h);
        long rgd = (long)BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(48)) * 512;
        long gd = (long)BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(GdOffset)) * 512;
        var entries = new byte[4];
        f.Read(gd, entries);
        var gt = new byte[2048];
        f.Read(BinaryPrimitives.ReadUInt32LittleEndian(entries) * 512L, gt);
        f.Read(rgd, entries);
        var rgt = new byte[2048];
        f.Read(BinaryPrimitives.ReadUInt32LittleEndian(entries) * 512L, rgt);
        CollectionAssert.AreEqual(gt, rgt, "redundant grain table");
        Assert.AreEqual(3, Enumerable.Range(0, 512).Count(i => BinaryPrimitives.ReadUInt32LittleEndian(gt.AsSpan(i * 4)) != 0));
    }

    [TestMethod]
    public void ZeroedGrainsAreWrittenOnlyWhereTheHeaderAllowsAndOnlyForWholeGrains()
    {
        using var tmp = new TempDir();
        string plain = Make(tmp);
        using (var e = OpenExtent(plain, writable: true))
            Assert.IsFalse(e.TryWriteZeroes(0, 2 * Grain), "no zeroed-grain GTEs in a version 1 extent");

        string path = tmp["z.vmdk"];
        QemuOracle.ImgOk("create", "-q", "-f", "vmdk", "-o", "zeroed_grain=on", path, "4M");
        QemuOracle.IoOk("-f", "vmdk", "-c", "write -P 0x11 0 256k", path);
        using (var e = OpenExtent(path, writable: true))
        {
            Assert.IsFalse(e.TryWriteZeroes(Grain, Grain + 512), "a partial grain: the device writes zeros instead");
            Assert.IsFalse(e.TryWriteZeroes(512, Grain), "unaligned");
            Assert.IsTrue(e.TryWriteZeroes(Grain, 2 * Grain));
            Assert.IsTrue(e.TryWriteZeroes(3 << 20, 1 << 20), "unallocated grains can be zeroed too");
            Assert.AreEqual(GrainState.Zero, e.Lookup(Grain, Grain).State);
            // writing into a zeroed grain allocates one filled with zeros, not with what is below
            e.Write(Grain + 10, new byte[] { 1, 2, 3 }, (o, d) => d.Fill(0xEE));
        }
        QemuOracle.IoOk("-f", "vmdk", "-c", "read -P 0x11 0 64k", "-c", "read -P 0 64k 10", "-c", "read -P 0 65549 65523",
            "-c", "read -P 0 128k 64k", "-c", "read -P 0x11 192k 64k", "-c", "read -P 0 3M 1M", path);
        Assert.AreEqual(0, QemuOracle.Img("check", path).ExitCode);
        StringAssert.Contains(QemuOracle.ImgOk("map", "--output=json", "-f", "vmdk", path), "\"start\": 131072, \"length\": 65536, \"depth\": 0, \"present\": true, \"zero\": true, \"data\": false");
    }

    [TestMethod]
    public void CompressedGrainsAreAppendedBehindMarkersAndNeverOverwritten()
    {
        using var tmp = new TempDir();
        string path = Make(tmp, "subformat=streamOptimized", "1M");
        var data = Enumerable.Range(0, 2 * Grain).Select(i => (byte)(i * 7 / 1000)).ToArray();
        var codec = new VmdkGrainCompressor();
        var payload = new byte[2 * Grain];
        using (var e = OpenExtent(path, writable: true))
        {
            Assert.IsTrue(e.IsCompressed && e.HasMarkers);
            int n = codec.Compress(data.AsSpan(0, Grain), payload);
            e.WriteCompressedGrain(0, payload.AsSpan(0, n));
            var again = Assert.ThrowsExactly<ImageException>(() => e.WriteCompressedGrain(0, payload.AsSpan(0, n)));
            Assert.AreEqual("Could not write to allocated cluster for streamOptimized", again.Message);
            // a plain write of a whole grain is compressed as qemu compresses it; a partial grain is refused
            e.Write(3 * Grain, data.AsSpan(Grain, Grain), (o, d) => d.Clear());
            var partial = Assert.ThrowsExactly<ImageException>(() => e.Write(5 * Grain, new byte[512], (o, d) => d.Clear()));
            Assert.AreEqual("Invalid argument", partial.Message);
            e.FinishCompressedWrites();
        }
        QemuOracle.ImgOk("convert", "-O", "raw", path, tmp["q.raw"]);
        var raw = File.ReadAllBytes(tmp["q.raw"]);
        CollectionAssert.AreEqual(data[..Grain], raw[..Grain]);
        CollectionAssert.AreEqual(data[Grain..], raw[(3 * Grain)..(4 * Grain)]);
        Assert.AreEqual(0, new FileInfo(path).Length % 512, "the file ends on a whole sector");
    }

    [TestMethod]
    [DataRow(0xFFFFFFF0u)] // far more than the file: no allocation of that size
    [DataRow(0u)]
    [DataRow(100u)] // cuts the stream short
    [DataRow(0x20001u)] // more than the two grains qemu reads
    public void ACompressedGrainThatLiesAboutItsSizeIsAnErrorAsInQemu(uint size)
    {
        using var tmp = new TempDir();
        string src = tmp["src.raw"];
        File.WriteAllBytes(src, Enumerable.Range(0, 1 << 20).Select(i => (byte)(i % 251 ^ i / 4096)).ToArray());
        string path = tmp["s.vmdk"];
        QemuOracle.ImgOk("convert", "-O", "vmdk", "-o", "subformat=streamOptimized", src, path);
        long marker;
        using (var e = OpenExtent(path))
            marker = e.Lookup(0, Grain).HostOffset;
        Patch(path, marker + 8, size, 4);
        var io = QemuOracle.Io("-f", "vmdk", "-c", "read 0 64k", path);
        StringAssert.Contains(io.StdOut + io.StdErr, "read failed: Invalid argument");
        using (var e = OpenExtent(path))
        {
            var run = e.Lookup(0, Grain);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var err = Assert.ThrowsExactly<ImageException>(() => e.ReadRun(run, 0, new byte[Grain]));
            Assert.AreEqual("Invalid argument", err.Message);
            Assert.IsTrue(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "bounded allocation");
            // the next grain is untouched
            var next = new byte[Grain];
            e.ReadRun(e.Lookup(Grain, Grain), Grain, next);
            CollectionAssert.AreEqual(File.ReadAllBytes(src)[Grain..(2 * Grain)], next);
        }
    }

    /// <summary>
    /// A VMware-style stream: gdOffset GD_AT_END in the header, the real one in the footer (footer marker, header copy,
    /// end-of-stream marker in the last three sectors); a footer that says GD_AT_END again fails as in qemu.
    /// </summary>
    [TestMethod]
    public void TheFootersGrainDirectoryIsUsedForAGdAtEndStream()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["src.raw"], Enumerable.Range(0, 1 << 20).Select(i => (byte)(i / 3000)).ToArray());
        string stream = tmp["s.vmdk"];
        QemuOracle.ImgOk("convert", "-O", "vmdk", "-o", "subformat=streamOptimized", tmp["src.raw"], stream);
        byte[] image = File.ReadAllBytes(stream);
        ulong gd = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(GdOffset));
        foreach (var (name, footerGd) in new[] { ("good.vmdk", gd), ("again.vmdk", ulong.MaxValue) })
        {
            var bytes = new List<byte>(image);
            BinaryPrimitives.WriteUInt64LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)[GdOffset..], ulong.MaxValue);
            var marker = new byte[512];
            BinaryPrimitives.WriteUInt32LittleEndian(marker.AsSpan(12), 3); // MARKER_FOOTER
            var footer = image[..512].ToArray();
            BinaryPrimitives.WriteUInt64LittleEndian(footer.AsSpan(GdOffset), footerGd);
            bytes.AddRange(marker);
            bytes.AddRange(footer);
            bytes.AddRange(new byte[512]); // end of stream
            File.WriteAllBytes(tmp[name], [.. bytes]);
        }
        QemuOracle.ImgOk("convert", "-O", "raw", tmp["good.vmdk"], tmp["q.raw"]);
        using (var e = OpenExtent(tmp["good.vmdk"]))
        {
            Assert.AreEqual(gd, e.Header.GdOffset, "the footer's header");
            CollectionAssert.AreEqual(File.ReadAllBytes(tmp["q.raw"]), ReadAll(e));
        }
        string expected = QemuOpenError(tmp["again.vmdk"]);
        var err = Assert.ThrowsExactly<ImageException>(() => OpenExtent(tmp["again.vmdk"]).Dispose());
        Assert.AreEqual(expected, err.Message);
    }

    /// <summary>A grain inflating to more than a grain is an error (qemu's uncompress: no room); part of a grain reads as qemu reads it.</summary>
    [TestMethod]
    public void ACompressedGrainLargerThanAGrainIsAnErrorAndPartsOfGrainsRead()
    {
        using var tmp = new TempDir();
        var content = Enumerable.Range(0, 1 << 20).Select(i => (byte)(i % 251 ^ i / 4096)).ToArray();
        File.WriteAllBytes(tmp["src.raw"], content);
        string path = tmp["s.vmdk"];
        QemuOracle.ImgOk("convert", "-O", "vmdk", "-o", "subformat=streamOptimized", tmp["src.raw"], path);
        using (var e = OpenExtent(path))
        {
            var part = new byte[1000];
            var run = e.Lookup(Grain + 5000, 1000);
            Assert.AreEqual(GrainState.Compressed, run.State);
            e.ReadRun(run, Grain + 5000, part);
            CollectionAssert.AreEqual(content[(Grain + 5000)..(Grain + 6000)], part);
        }
        // grain 0 replaced by a stream of two grains, appended at the end of the file
        var big = new byte[2 * Grain];
        var payload = new byte[4 * Grain];
        int n = new VmdkGrainCompressor().Compress(big, payload);
        long end = new FileInfo(path).Length;
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            f.Position = end;
            var marker = new byte[12];
            BinaryPrimitives.WriteUInt32LittleEndian(marker.AsSpan(8), (uint)n);
            f.Write(marker);
            f.Write(payload, 0, n);
            f.Write(new byte[512]);
        }
        long gtEntry;
        using (var f = HostFile.Open(path, false))
        {
            var h = new byte[512];
            f.Read(0, h);
            var gd = new byte[4];
            f.Read((long)BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(GdOffset)) * 512, gd);
            gtEntry = BinaryPrimitives.ReadUInt32LittleEndian(gd) * 512L;
        }
        Patch(path, gtEntry, (ulong)(end / 512), 4);
        var io = QemuOracle.Io("-f", "vmdk", "-c", "read 0 64k", path);
        StringAssert.Contains(io.StdOut + io.StdErr, "read failed: Invalid argument");
        using (var e = OpenExtent(path))
        {
            var err = Assert.ThrowsExactly<ImageException>(() => e.ReadRun(e.Lookup(0, Grain), 0, new byte[Grain]));
            Assert.AreEqual("Invalid argument", err.Message);
        }
    }

    [TestMethod]
    public void EmbeddedDescriptorIsReadFromTheHeadersOffset()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        using var f = HostFile.Open(path, false);
        string? desc = SparseExtent.ReadEmbeddedDescriptor(f);
        Assert.IsNotNull(desc);
        Assert.IsTrue(desc.StartsWith("# Disk DescriptorFile\nversion=1\nCID=", StringComparison.Ordinal), desc);
        StringAssert.Contains(desc, "createType=\"monolithicSparse\"");
        Assert.IsFalse(desc.Contains('\0'));
    }
}
