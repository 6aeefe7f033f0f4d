using System.Buffers.Binary;
using System.Numerics;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// The entry checksum computed a sector at a time (VHDX 1.0 §2.3.1.1: CRC-32C over the whole entry with the
/// checksum field zero), so an entry is never held whole in memory. Same result as <see cref="VhdxChecksum.Compute"/>.
/// </summary>
internal struct VhdxLogCrc
{
    private uint _crc;

    public static VhdxLogCrc Start() => new() { _crc = 0xFFFFFFFFu };

    /// <summary>Adds the entry's first sector, its checksum field taken as zero.</summary>
    public void AddHeaderSector(ReadOnlySpan<byte> sector)
    {
        Add(sector[..VhdxLogEntryHeader.ChecksumOffset]);
        _crc = BitOperations.Crc32C(_crc, 0u);
        Add(sector[(VhdxLogEntryHeader.ChecksumOffset + 4)..]);
    }

    public void Add(ReadOnlySpan<byte> data)
    {
        uint crc = _crc;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data)
            crc = BitOperations.Crc32C(crc, b);
        _crc = crc;
    }

    public readonly uint Value => ~_crc;
}
