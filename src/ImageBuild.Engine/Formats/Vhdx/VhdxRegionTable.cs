using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>One region table entry (VHDX 1.0 §2.2.3.2): GUID, FileOffset (1 MiB multiple), Length (1 MiB multiple), Required bit.</summary>
internal readonly record struct VhdxRegionTableEntry(Guid Guid, ulong FileOffset, uint Length, bool Required)
{
    public const int Size = 32;
}

/// <summary>
/// A region table (VHDX 1.0 §2.2.3) at 192 KiB (and its copy at 256 KiB): Signature "regi", Checksum (CRC-32C over the
/// whole 64 KiB), EntryCount (at most 2047), then the entries. The BAT and metadata regions must each appear exactly
/// once; an unknown region with the Required bit makes the image unreadable (§2.2.3.2), as in qemu.
/// </summary>
internal sealed class VhdxRegionTable
{
    public const int Size = 64 << 10;
    public const long Table1Offset = 192 << 10;
    public const long Table2Offset = 256 << 10;
    public const int MaxEntries = 2047;
    private const uint SignatureValue = 0x69676572; // "regi"

    /// <summary>BAT region 2DC27766-F623-4200-9D64-115E9BFD4A08.</summary>
    public static readonly Guid BatGuid = new("2DC27766-F623-4200-9D64-115E9BFD4A08");

    /// <summary>Metadata region 8B7CA206-4790-4B9A-B8FE-575F050F886E.</summary>
    public static readonly Guid MetadataGuid = new("8B7CA206-4790-4B9A-B8FE-575F050F886E");

    public required IReadOnlyList<VhdxRegionTableEntry> Entries { get; init; }

    /// <summary>
    /// The table as qemu's vhdx_open_region_tables reads it: bad checksum, signature or count, a duplicated BAT or
    /// metadata region, or a missing one: "Invalid argument"; an unknown required region: "Operation not supported".
    /// Overlaps are checked by the caller as the entries are registered.
    /// </summary>
    public static VhdxRegionTable Parse(ReadOnlySpan<byte> raw, string filename)
    {
        if (!VhdxChecksum.IsValid(raw[..Size], 4) || BinaryPrimitives.ReadUInt32LittleEndian(raw) != SignatureValue)
            throw VhdxErrors.Invalid(filename);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);
        if (count > MaxEntries)
            throw VhdxErrors.Invalid(filename);
        var entries = new List<VhdxRegionTableEntry>((int)count);
        for (int i = 0; i < count; i++)
        {
            var e = raw.Slice(16 + i * VhdxRegionTableEntry.Size, VhdxRegionTableEntry.Size);
            entries.Add(new VhdxRegionTableEntry(new Guid(e[..16]), BinaryPrimitives.ReadUInt64LittleEndian(e[16..]),
                BinaryPrimitives.ReadUInt32LittleEndian(e[24..]), (BinaryPrimitives.ReadUInt32LittleEndian(e[28..]) & 1) != 0));
        }
        return new VhdxRegionTable { Entries = entries };
    }

    /// <summary>The 64 KiB table with its checksum.</summary>
    public byte[] ToBytes()
    {
        var b = new byte[Size];
        Span<byte> s = b;
        BinaryPrimitives.WriteUInt32LittleEndian(s, SignatureValue);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], (uint)Entries.Count);
        for (int i = 0; i < Entries.Count; i++)
        {
            var e = s.Slice(16 + i * VhdxRegionTableEntry.Size, VhdxRegionTableEntry.Size);
            Entries[i].Guid.TryWriteBytes(e[..16]);
            BinaryPrimitives.WriteUInt64LittleEndian(e[16..], Entries[i].FileOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(e[24..], Entries[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(e[28..], Entries[i].Required ? 1u : 0u);
        }
        VhdxChecksum.Update(s, 4);
        return b;
    }
}
