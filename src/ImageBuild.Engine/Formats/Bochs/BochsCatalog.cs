using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Bochs;

/// <summary>
/// The catalog: one little-endian u32 per extent, the index of the extent's slot in the data area, or
/// <see cref="Unallocated"/>. It is read whole (at most 1M entries, 4 MiB, checked before) from the header size
/// offset; as through qemu's file protocol, entries past the end of the file read as 0.
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
    public static BochsCatalog Read(HostFile file, BochsHeader header)
    {
        var entries = new uint[header.CatalogEntries];
        var bytes = new byte[checked((int)header.CatalogEntries * 4)];
        file.Read(header.HeaderSize, bytes);
        for (int i = 0; i < entries.Length; i++)
            entries[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
        return new BochsCatalog(entries);
    }
}
