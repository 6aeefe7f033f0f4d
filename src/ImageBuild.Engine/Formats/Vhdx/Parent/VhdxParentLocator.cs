using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Engine.Formats.Vhdx.Parent;

/// <summary>
/// Placeholder until branch i16-vhdxlog lands. The parent locator (VHDX 1.0 §2.6.2.6): LocatorType GUID, Reserved,
/// KeyValueCount, then 12-byte entries (KeyOffset, ValueOffset, KeyLength, ValueLength; offsets from the item's start)
/// naming UTF-16LE keys and values. parent_linkage (a GUID in braces) is required.
/// </summary>
internal sealed class VhdxParentLocator
{
    private VhdxParentLocator(Guid linkage, Guid? linkage2, string? relative, string? volume, string? absolute)
    {
        ParentLinkage = linkage; ParentLinkage2 = linkage2; RelativePath = relative; VolumePath = volume; AbsoluteWin32Path = absolute;
    }

    public Guid ParentLinkage { get; }
    public Guid? ParentLinkage2 { get; }
    public string? RelativePath { get; }
    public string? VolumePath { get; }
    public string? AbsoluteWin32Path { get; }

    public static VhdxParentLocator Parse(ReadOnlySpan<byte> item, string filename)
    {
        if (item.Length < 20)
            throw Bad(filename, "is shorter than its header");
        int count = BinaryPrimitives.ReadUInt16LittleEndian(item[18..]);
        if (20 + count * 12 > item.Length)
            throw Bad(filename, $"has {count} entries that do not fit in its {item.Length} bytes");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            var e = item.Slice(20 + i * 12, 12);
            string key = Text(item, BinaryPrimitives.ReadUInt32LittleEndian(e), BinaryPrimitives.ReadUInt16LittleEndian(e[8..]), filename);
            string value = Text(item, BinaryPrimitives.ReadUInt32LittleEndian(e[4..]), BinaryPrimitives.ReadUInt16LittleEndian(e[10..]), filename);
            values[key] = value;
        }
        if (!values.TryGetValue("parent_linkage", out var l) || !Guid.TryParse(l, out var linkage))
            throw Bad(filename, "has no valid parent_linkage");
        Guid? linkage2 = values.TryGetValue("parent_linkage2", out var l2) && Guid.TryParse(l2, out var g2) ? g2 : null;
        return new VhdxParentLocator(linkage, linkage2, values.GetValueOrDefault("relative_path"),
            values.GetValueOrDefault("volume_path"), values.GetValueOrDefault("absolute_win32_path"));
    }

    private static string Text(ReadOnlySpan<byte> item, uint offset, int length, string filename)
    {
        if (offset + (ulong)length > (ulong)item.Length || length % 2 != 0)
            throw Bad(filename, $"names a string at {offset} ({length} bytes) outside it");
        return Encoding.Unicode.GetString(item.Slice((int)offset, length));
    }

    private static ImageCorruptException Bad(string filename, string what) => new($"'{filename}': the parent locator {what}");
}
