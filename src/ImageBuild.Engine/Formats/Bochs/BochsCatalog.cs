using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Bochs;

/// <summary>
/// The catalog: one little-endian u32 per extent, the index of the extent's slot in the data area, or
/// <see cref="Unallocated"/>. It is read whole (at most 1M entries, 4 MiB, checked before) from the header size
/// offset. A catalog reaching past the end of the file is refused, naming the file (qemu reads the missing entries
/// as 0, slot 0, as through its file protocol), as the engine refuses every format's tables that do.
/// </summary>
public sealed class BochsCatalog
{
    /// <summary>An extent that was never written.</summary>
    public const uint Unallocated = 0xFFFFFFFF;

    private readonly uint[] _entries;

    private BochsCatalog(uint[] entries) => _entries = entries;

    public int Count => _entries.Length;

    public uint this[long extent] => _entries[extent];

    /// <summary>Reads <see cref="BochsHeader.CatalogEntries"/> entries (already checked against the limit).</summary>
    public static BochsCatalog Read(HostFile file, string filename, BochsHeader header)
    {
        long bytesNeeded = (long)header.CatalogEntries * 4, length = file.Length;
        if (bytesNeeded > 0 && header.HeaderSize + bytesNeeded > length)
            throw new ImageCorruptException(
                $"'{filename}': catalog at offset {header.HeaderSize} ({bytesNeeded} bytes) lies past the end of the file ({length} bytes)");
        var entries = new uint[header.CatalogEntries];
        var bytes = new byte[checked((int)header.CatalogEntries * 4)];
        file.Read(header.HeaderSize, bytes);
        for (int i = 0; i < entries.Length; i++)
            entries[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
        return new BochsCatalog(entries);
    }
}
