using ImageBuild.Engine.Formats.Parallels;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Parallels.ParallelsTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Parallels;

/// <summary>The format extension: validated as qemu 7.2 validates it on read-only opens, ignored with a warning on read-write ones.</summary>
[TestClass]
public sealed class ParallelsFormatExtensionTests
{
    private const ulong BitmapMagic = 0x20385FAE252CB34A;
    private const int Cluster = 4096;

    /// <summary>A 1 MiB image of 4 KiB clusters with the given extension cluster at 16 KiB.</summary>
    private static string Make(TempDir tmp, byte[] extension)
    {
        string path = tmp["a.hdd"];
        Create(path, MiB, clusterSize: Cluster);
        PatchU64(path, ExtOff, 16384 / 512);
        Patch(path, 16384, extension);
        return path;
    }

    [TestMethod]
    public void AValidDirtyBitmapIsLoadedByItsId()
    {
        using var tmp = new TempDir();
        // 2048 sectors, 64 KiB granules: 16 bits, one 8-byte word, one cluster of table
        string path = Make(tmp, Extension(Cluster, (BitmapMagic, BitmapFeature(2048, 128, 1))));
        using var dev = (ParallelsDevice)Open(path);
        CollectionAssert.AreEqual(new[] { "a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf" }, dev.Bitmaps.ToArray());
    }

    [TestMethod]
    public void ReadWriteOpensIgnoreItWithQemusWarning()
    {
        using var tmp = new TempDir();
        string path = Make(tmp, new byte[Cluster]);
        var warnings = new List<string>();
        using (Open(path, writable: true, ctx: Ctx(warnings))) { }
        CollectionAssert.AreEqual(new[] { "warning: Format Extension ignored in RW mode" }, warnings);
    }

    [TestMethod]
    public void WhatQemuRefusesIsRefusedWithItsWords()
    {
        var cases = new (byte[] Extension, string Message)[]
        {
            (new byte[Cluster], "Wrong parallels Format Extension magic: 0x0, expected: 0xab234cef23dcea87"),
            (Corrupt(Extension(Cluster)), "Wrong checksum in Format Extension header. Format extension is corrupted."),
            (Extension(Cluster, (0x1234, new byte[8])), "Unknown feature: 0x1234"),
            (Extension(Cluster, (BitmapMagic, new byte[16])), "Too small Bitmap Feature area in Parallels Format Extension: 16 bytes, expected at least 32 bytes"),
            (Extension(Cluster, (BitmapMagic, BitmapFeature(4096, 128, 1))), "Bitmap size (in sectors) 4096 differs from disk size in sectors 2048"),
            (Extension(Cluster, (BitmapMagic, BitmapFeature(2048, 128, 1, 0))), "Bitmap table size 2 does not correspond to bitmap size and cluster size. Expected 1"),
            (Extension(Cluster, (BitmapMagic, BitmapFeature(2048, 3, 1))), "Invalid bitmap granularity 1536, expected a power of two of at least 512 bytes"),
            (Extension(Cluster, (BitmapMagic, BitmapFeature(2048, 128, 1)), (BitmapMagic, BitmapFeature(2048, 128, 0))), "Bitmap already exists: a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf"),
            (TooLongTable(), "Bitmaps feature corrupted: l1 table exceeds extension data_size"),
            (Extension(Cluster, (BitmapMagic, new byte[Cluster])), "Feature data_size exceedes Format Extension cluster"),
        };
        foreach (var (extension, message) in cases)
        {
            using var tmp = new TempDir();
            string path = Make(tmp, extension);
            var e = Assert.ThrowsExactly<ImageException>(() => Open(path), message);
            StringAssert.EndsWith(e.Message, message);
        }
    }

    [TestMethod]
    public void AnExtensionPastTheEndOfTheFileReadsAsZerosAsInQemu()
    {
        using var tmp = new TempDir();
        string path = tmp["a.hdd"];
        Create(path, MiB, clusterSize: Cluster);
        PatchU64(path, ExtOff, 1UL << 40);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(path));
        StringAssert.EndsWith(e.Message, "Wrong parallels Format Extension magic: 0x0, expected: 0xab234cef23dcea87");
    }

    private static byte[] Corrupt(byte[] extension)
    {
        extension[100] ^= 1;
        return extension;
    }

    /// <summary>A bitmap feature whose l1_size says more entries than its data_size holds (checksum kept valid).</summary>
    private static byte[] TooLongTable()
    {
        var data = BitmapFeature(2048, 128, 1);
        data[28] = 9;
        return Extension(Cluster, (BitmapMagic, data));
    }
}
