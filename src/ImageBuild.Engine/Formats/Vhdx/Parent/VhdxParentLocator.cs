using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Engine.Formats.Vhdx.Parent;

/// <summary>
/// The parent locator metadata item of a differencing VHDX (VHDX 1.0 §2.6.2.6, item A8D35F2D-B30B-454D-ABF7-D3D84834AB0C):
/// a 20-byte header {LocatorType GUID, Reserved u16, KeyValueCount u16}, KeyValueCount 12-byte entries
/// {KeyOffset u32, ValueOffset u32, KeyLength u16, ValueLength u16}, and the keys and values they point at, UTF-16LE
/// strings without terminator, offsets counted from the start of the item. For the VHDX locator type
/// (B04AEFB7-D19E-4A81-B789-25B8E9445913) the keys are parent_linkage (required: the parent's DataWriteGuid in
/// braces), parent_linkage2, relative_path, volume_path and absolute_win32_path; other keys are ignored. qemu 7.2
/// opens no differencing VHDX, so the checks and messages are ours.
/// </summary>
internal sealed class VhdxParentLocator
{
    /// <summary>The metadata item's ID (§2.6.2.6).</summary>
    public static readonly Guid ItemId = new("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");

    /// <summary>LocatorType of the VHDX parent locator (§2.6.2.6.1), the only one defined.</summary>
    public static readonly Guid VhdxLocatorType = new("B04AEFB7-D19E-4A81-B789-25B8E9445913");

    public const int HeaderSize = 20;
    public const int EntrySize = 12;

    private VhdxParentLocator(Guid parentLinkage, Guid? parentLinkage2, string? relativePath, string? volumePath, string? absoluteWin32Path)
    {
        ParentLinkage = parentLinkage;
        ParentLinkage2 = parentLinkage2;
        RelativePath = relativePath;
        VolumePath = volumePath;
        AbsoluteWin32Path = absoluteWin32Path;
    }

    /// <summary>parent_linkage: the DataWriteGuid the parent had when this child was made (§2.6.2.6.2).</summary>
    public Guid ParentLinkage { get; }

    /// <summary>parent_linkage2: a second GUID a parent may match (written while a parent is being changed).</summary>
    public Guid? ParentLinkage2 { get; }

    /// <summary>relative_path: the parent's path relative to this file's folder (Windows syntax).</summary>
    public string? RelativePath { get; }

    /// <summary>volume_path: the parent as \\?\Volume{GUID}\path.</summary>
    public string? VolumePath { get; }

    /// <summary>absolute_win32_path: the parent's full Windows path.</summary>
    public string? AbsoluteWin32Path { get; }

    /// <summary>
    /// Parses and validates the item: its header fits and names the VHDX locator type, every key and value lies inside
    /// the item with an even, non-zero length, no key appears twice, parent_linkage is present, and the linkage keys
    /// hold GUIDs in braces. Anything else is one <see cref="ImageCorruptException"/> naming the file.
    /// </summary>
    public static VhdxParentLocator Parse(ReadOnlySpan<byte> item, string filename)
    {
        if (item.Length < HeaderSize)
            throw Corrupt(filename, $"the item has {item.Length} bytes, less than its {HeaderSize}-byte header");
        var type = new Guid(item[..16]);
        if (type != VhdxLocatorType)
            throw Corrupt(filename, $"locator type {type} is not the VHDX parent locator {VhdxLocatorType}");
        int count = BinaryPrimitives.ReadUInt16LittleEndian(item[18..]);
        if (HeaderSize + (long)count * EntrySize > item.Length)
            throw Corrupt(filename, $"{count} key/value entries do not fit the {item.Length}-byte item");

        var seen = new HashSet<string>(StringComparer.Ordinal);
        Guid? linkage = null, linkage2 = null;
        string? relative = null, volume = null, absolute = null;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> e = item.Slice(HeaderSize + i * EntrySize, EntrySize);
            string key = Text(item, filename, i, "key",
                BinaryPrimitives.ReadUInt32LittleEndian(e), BinaryPrimitives.ReadUInt16LittleEndian(e[8..]));
            string value = Text(item, filename, i, "value",
                BinaryPrimitives.ReadUInt32LittleEndian(e[4..]), BinaryPrimitives.ReadUInt16LittleEndian(e[10..]));
            if (!seen.Add(key))
                throw Corrupt(filename, $"key '{key}' appears more than once");
            switch (key)
            {
                case "parent_linkage": linkage = Linkage(filename, key, value); break;
                case "parent_linkage2": linkage2 = Linkage(filename, key, value); break;
                case "relative_path": relative = value; break;
                case "volume_path": volume = value; break;
                case "absolute_win32_path": absolute = value; break;
            }
        }
        if (linkage is not { } parentLinkage)
            throw Corrupt(filename, "the required key 'parent_linkage' is missing");
        return new VhdxParentLocator(parentLinkage, linkage2, relative, volume, absolute);
    }

    /// <summary>
    /// The key's or value's string: inside the item, not empty, whole UTF-16 code units, valid UTF-16 (§2.6.2.6:
    /// lengths in bytes, no terminator).
    /// </summary>
    private static string Text(ReadOnlySpan<byte> item, string filename, int entry, string what, uint offset, ushort length)
    {
        if (length == 0 || length % 2 != 0)
            throw Corrupt(filename, $"entry {entry}: {what} length {length} is not a non-zero number of UTF-16 characters");
        if (offset < HeaderSize || offset > item.Length || length > item.Length - offset)
            throw Corrupt(filename, $"entry {entry}: {what} at offset {offset} ({length} bytes) lies outside the {item.Length}-byte item");
        try
        {
            return Strict.GetString(item.Slice((int)offset, length));
        }
        catch (DecoderFallbackException)
        {
            throw Corrupt(filename, $"entry {entry}: {what} at offset {offset} is not valid UTF-16");
        }
    }

    private static readonly Encoding Strict = new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);

    /// <summary>A linkage value: a GUID in braces, e.g. {83ea2d12-0bdb-4cde-9d2a-4b5d35a2b8a7} (§2.6.2.6.2).</summary>
    private static Guid Linkage(string filename, string key, string value)
    {
        if (value.Length == 38 && value[0] == '{' && value[^1] == '}' && Guid.TryParseExact(value, "B", out Guid guid))
            return guid;
        throw Corrupt(filename, $"'{key}' is '{value}', not a GUID in braces");
    }

    private static ImageCorruptException Corrupt(string filename, string what) =>
        new($"'{filename}': VHDX parent locator is invalid: {what}");
}
