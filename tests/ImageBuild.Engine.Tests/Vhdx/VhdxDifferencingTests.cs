using System.Buffers.Binary;
using System.Text;
using ImageBuild.Engine.Formats.Vhdx;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Vhdx.VhdxTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Vhdx;

/// <summary>
/// Differencing VHDX (beyond qemu, which says "Operation not supported"): a child built by hand from the spec's
/// layout — HasParent, a parent locator, the differencing BAT (chunk_ratio + 1 entries per chunk), a fully present
/// block, a partially present one with its sector bitmap, a ZERO block and blocks left to the parent.
/// </summary>
[TestClass]
public sealed class VhdxDifferencingTests
{
    private const int Size = 16 * MiB;
    private static readonly Guid VhdxLocatorType = new("B04AEFB7-D19E-4A81-B789-25B8E9445913");

    private static Guid CurrentDataWriteGuid(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        ulong s1 = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x10008)), s2 = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x20008));
        return new Guid(b.AsSpan((s1 > s2 ? 0x10000 : 0x20000) + 32, 16));
    }

    /// <summary>The parent locator item (§2.6.2.6): type, count, 12-byte entries, UTF-16 keys and values.</summary>
    private static byte[] Locator(params (string Key, string Value)[] pairs)
    {
        var strings = new List<byte>();
        var item = new byte[20 + 12 * pairs.Length];
        VhdxLocatorType.TryWriteBytes(item);
        BinaryPrimitives.WriteUInt16LittleEndian(item.AsSpan(18), (ushort)pairs.Length);
        for (int i = 0; i < pairs.Length; i++)
        {
            byte[] k = Encoding.Unicode.GetBytes(pairs[i].Key), v = Encoding.Unicode.GetBytes(pairs[i].Value);
            var e = item.AsSpan(20 + 12 * i);
            BinaryPrimitives.WriteUInt32LittleEndian(e, (uint)(item.Length + strings.Count));
            strings.AddRange(k);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], (uint)(item.Length + strings.Count));
            strings.AddRange(v);
            BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)k.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(e[10..], (ushort)v.Length);
        }
        return [.. item, .. strings];
    }

    /// <summary>Parent: 16 MiB of pattern 1 (1 MiB blocks). Child: blocks 1 (full), 2 (partial), 3 (zero) of its own.</summary>
    private static (string Parent, string Child, byte[] Expected) Build(TempDir tmp, Guid? linkage = null, string parentName = "parent.vhdx")
    {
        string parent = tmp["parent.vhdx"], child = tmp["child.vhdx"];
        Create(parent, Size, ("block_size", "1M"));
        byte[] parentData = Pattern(Size, 1);
        using (var p = Open(parent, writable: true))
            p.Write(0, parentData);

        Create(child, Size, ("block_size", "1M"), ("block_state_zero", "off"));
        // metadata: HasParent, and a sixth entry, the parent locator, after the five items
        PatchU32(child, Items + 4, VhdxMetadata.HasParentFlag);
        byte[] locator = Locator(("parent_linkage", (linkage ?? CurrentDataWriteGuid(parent)).ToString("B")), ("relative_path", ".\\" + parentName));
        var entry = new byte[32];
        VhdxMetadata.ParentLocatorGuid.TryWriteBytes(entry);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(16), 0x10000 + 64);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(20), (uint)locator.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(24), 4);
        Patch(child, Metadata + 32 + 5 * 32, entry);
        Patch(child, Metadata + 10, [6, 0]);
        Patch(child, Items + 64, locator);

        // data: block 1 fully present at 8 MiB, block 2 partially present at 9 MiB, its chunk's sector bitmap at 10 MiB
        byte[] full = Pattern(MiB, 2), partial = Pattern(MiB, 3);
        Patch(child, 8 * MiB, full);
        Patch(child, 9 * MiB, partial);
        var bitmap = new byte[MiB];
        long firstSector = 2 * (MiB / 512); // block 2's first sector in the chunk
        for (long s = firstSector; s < firstSector + 8; s++) bitmap[s / 8] |= (byte)(1 << (int)(s % 8));
        long lone = firstSector + 100;
        bitmap[lone / 8] |= (byte)(1 << (int)(lone % 8));
        Patch(child, 10 * MiB, bitmap);
        PatchU64(child, Bat + 1 * 8, (8UL << 20) | VhdxBatEntry.FullyPresent);
        PatchU64(child, Bat + 2 * 8, (9UL << 20) | VhdxBatEntry.PartiallyPresent);
        PatchU64(child, Bat + 3 * 8, VhdxBatEntry.Zero);
        PatchU64(child, Bat + 4096 * 8, (10UL << 20) | VhdxBatEntry.FullyPresent); // chunk 0's sector bitmap entry
        using (var f = new FileStream(child, FileMode.Open)) f.SetLength(11 * MiB);

        byte[] expected = (byte[])parentData.Clone();
        full.CopyTo(expected, MiB);
        Array.Copy(partial, 0, expected, 2 * MiB, 8 * 512);
        Array.Copy(partial, 100 * 512, expected, 2 * MiB + 100 * 512, 512);
        Array.Clear(expected, 3 * MiB, MiB);
        return (parent, child, expected);
    }

    [TestMethod]
    public void TheChildReadsItsBlocksAndTheParentWhereTheBatAndSectorBitmapSaySo()
    {
        using var tmp = new TempDir();
        var (_, child, expected) = Build(tmp);
        using var dev = Open(child);
        Assert.AreEqual("parent.vhdx", dev.BackingFilename);
        Assert.AreEqual("vhdx", dev.BackingFormat);
        Assert.IsNotNull(dev.Backing);
        var all = new byte[Size];
        dev.Read(0, all);
        for (int i = 0; i < Size; i += 512)
            if (!all.AsSpan(i, 512).SequenceEqual(expected.AsSpan(i, 512)))
                Assert.Fail($"sector at {i} differs");
        // unaligned reads across the partial block's runs
        var piece = new byte[5000];
        dev.Read(2 * MiB + 3000, piece);
        CollectionAssert.AreEqual(expected.AsSpan(2 * MiB + 3000, 5000).ToArray(), piece);
    }

    [TestMethod]
    public void AParentWhoseDataWriteGuidIsNotTheLinkageIsRefused()
    {
        using var tmp = new TempDir();
        var wrong = Guid.NewGuid();
        var (_, child, _) = Build(tmp, linkage: wrong);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(child).Dispose());
        StringAssert.Contains(e.Message, $"not the parent_linkage {wrong:B}");
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    [TestMethod]
    public void AChildIsReadOnly()
    {
        using var tmp = new TempDir();
        var (_, child, _) = Build(tmp);
        using var dev = Open(child, writable: true);
        var e = Assert.ThrowsExactly<ImageException>(() => dev.Write(0, new byte[512]));
        Assert.AreEqual($"Could not write to '{child}': writing to a differencing VHDX image is not supported", e.Message);
    }

    [TestMethod]
    public void AChildThatNamesItselfIsALoop()
    {
        using var tmp = new TempDir();
        var (_, child, _) = Build(tmp, parentName: "child.vhdx");
        var e = Assert.ThrowsExactly<ImageException>(() => Open(child).Dispose());
        StringAssert.Contains(e.Message, "infinite loop");
    }

    [TestMethod]
    public void AMissingParentIsNamed()
    {
        using var tmp = new TempDir();
        var (parent, child, _) = Build(tmp);
        File.Delete(parent);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(child).Dispose());
        StringAssert.Contains(e.Message, "parent.vhdx");
    }
}
