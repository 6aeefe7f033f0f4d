using System.Buffers.Binary;
using System.Text;
using ImageBuild.Engine.Formats.Vhdx.Parent;

namespace ImageBuild.Engine.Tests.Vhdx.Parent;

/// <summary>Parent locator items built by hand from the layout of VHDX 1.0 §2.6.2.6.</summary>
[TestClass]
public sealed class VhdxParentLocatorTests
{
    private const string File = "child.vhdx";
    private const string Linkage = "{83EA2D12-0BDB-4CDE-9D2A-4B5D35A2B8A7}";

    /// <summary>
    /// An item: 20-byte header {LocatorType, Reserved, KeyValueCount}, 12-byte entries {KeyOffset, ValueOffset,
    /// KeyLength, ValueLength}, then the UTF-16LE strings, keys and values in turn.
    /// </summary>
    internal static byte[] Item(params (string Key, string Value)[] pairs) => Item(VhdxParentLocator.VhdxLocatorType, pairs);

    internal static byte[] Item(Guid type, params (string Key, string Value)[] pairs)
    {
        int stringsAt = 20 + pairs.Length * 12;
        var strings = new List<byte>();
        byte[] table = new byte[stringsAt];
        type.TryWriteBytes(table);
        BinaryPrimitives.WriteUInt16LittleEndian(table.AsSpan(18), (ushort)pairs.Length);
        for (int i = 0; i < pairs.Length; i++)
        {
            byte[] k = Encoding.Unicode.GetBytes(pairs[i].Key), v = Encoding.Unicode.GetBytes(pairs[i].Value);
            Span<byte> e = table.AsSpan(20 + i * 12, 12);
            BinaryPrimitives.WriteUInt32LittleEndian(e, (uint)(stringsAt + strings.Count));
            strings.AddRange(k);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], (uint)(stringsAt + strings.Count));
            strings.AddRange(v);
            BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)k.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(e[10..], (ushort)v.Length);
        }
        return [.. table, .. strings];
    }

    [TestMethod]
    public void AllTheKeysAreRead()
    {
        var locator = VhdxParentLocator.Parse(Item(
            ("parent_linkage", Linkage),
            ("parent_linkage2", "{00000000-1111-2222-3333-444444444444}"),
            ("relative_path", @"..\base\parent.vhdx"),
            ("volume_path", @"\\?\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\vms\parent.vhdx"),
            ("absolute_win32_path", @"C:\vms\parent.vhdx"),
            ("some_future_key", "ignored")), File);
        Assert.AreEqual(new Guid("83ea2d12-0bdb-4cde-9d2a-4b5d35a2b8a7"), locator.ParentLinkage);
        Assert.AreEqual(new Guid("00000000-1111-2222-3333-444444444444"), locator.ParentLinkage2);
        Assert.AreEqual(@"..\base\parent.vhdx", locator.RelativePath);
        Assert.AreEqual(@"\\?\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\vms\parent.vhdx", locator.VolumePath);
        Assert.AreEqual(@"C:\vms\parent.vhdx", locator.AbsoluteWin32Path);
    }

    [TestMethod]
    public void OnlyParentLinkageIsRequired()
    {
        var locator = VhdxParentLocator.Parse(Item(("relative_path", "p.vhdx"), ("parent_linkage", Linkage)), File);
        Assert.IsNull(locator.ParentLinkage2);
        Assert.IsNull(locator.VolumePath);
        Assert.IsNull(locator.AbsoluteWin32Path);
        Assert.AreEqual("p.vhdx", locator.RelativePath);
    }

    [TestMethod]
    public void AMissingParentLinkageIsRefused() =>
        AssertRefused(Item(("relative_path", "p.vhdx")), "'parent_linkage' is missing");

    [TestMethod]
    public void ADuplicateKeyIsRefused() =>
        AssertRefused(Item(("parent_linkage", Linkage), ("relative_path", "a"), ("relative_path", "b")), "'relative_path' appears more than once");

    [TestMethod]
    public void AnotherLocatorTypeIsRefused() =>
        AssertRefused(Item(Guid.Parse("11111111-2222-3333-4444-555555555555"), ("parent_linkage", Linkage)), "locator type");

    [TestMethod]
    [DataRow("83EA2D12-0BDB-4CDE-9D2A-4B5D35A2B8A7")] // no braces
    [DataRow("{not a guid at all, but 38 chars long}")]
    [DataRow("{83EA2D12-0BDB-4CDE-9D2A-4B5D35A2B8A7")]
    public void ALinkageThatIsNoGuidInBracesIsRefused(string value) =>
        AssertRefused(Item(("parent_linkage", value)), "not a GUID in braces");

    [TestMethod]
    public void AnItemShorterThanItsHeaderIsRefused() =>
        AssertRefused(new byte[19], "less than its 20-byte header");

    [TestMethod]
    public void MoreEntriesThanTheItemHoldsAreRefused()
    {
        byte[] item = Item(("parent_linkage", Linkage));
        BinaryPrimitives.WriteUInt16LittleEndian(item.AsSpan(18), 0xFFFF);
        AssertRefused(item, "65535 key/value entries do not fit");
    }

    [TestMethod]
    [DataRow(0, 0xFFFFFFF0u, "key at offset 4294967280")] // KeyOffset past the item
    [DataRow(4, 5u, "value at offset 5")]                 // ValueOffset inside the header
    [DataRow(8, 0u, "key length 0")]
    [DataRow(10, 3u, "value length 3")]                  // half a UTF-16 character
    [DataRow(10, 0xFFFEu, "lies outside")]                // ValueLength past the item
    public void AnEntryPointingOutsideTheItemIsRefused(int field, uint value, string message)
    {
        byte[] item = Item(("parent_linkage", Linkage));
        if (field < 8)
            BinaryPrimitives.WriteUInt32LittleEndian(item.AsSpan(20 + field), value);
        else
            BinaryPrimitives.WriteUInt16LittleEndian(item.AsSpan(20 + field), (ushort)value);
        AssertRefused(item, message);
    }

    [TestMethod]
    public void AKeyThatIsNoUtf16IsRefused()
    {
        byte[] item = Item(("parent_linkage", Linkage), ("relative_path", "ab"));
        int valueAt = (int)BinaryPrimitives.ReadUInt32LittleEndian(item.AsSpan(20 + 12 + 4));
        BinaryPrimitives.WriteUInt16LittleEndian(item.AsSpan(valueAt), 0xDC00); // a lone low surrogate
        AssertRefused(item, "not valid UTF-16");
    }

    private static void AssertRefused(byte[] item, string message)
    {
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => VhdxParentLocator.Parse(item, File));
        StringAssert.StartsWith(e.Message, $"'{File}': VHDX parent locator is invalid: ");
        StringAssert.Contains(e.Message, message);
    }
}
