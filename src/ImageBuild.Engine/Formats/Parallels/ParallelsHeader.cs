using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Parallels;

/// <summary>
/// The 64-byte little-endian header at offset 0 (docs/interop/parallels.txt): magic, version, geometry, the cluster
/// size in sectors ("tracks"), the BAT length, the virtual size in sectors, the in-use marker, the first data sector,
/// flags and the format extension's sector. The raw bytes are kept so that writing the header back (the in-use marker
/// on open and close) changes nothing else, as qemu writes back the copy it read.
/// </summary>
internal sealed class ParallelsHeader
{
    public const int Size = 64;

    /// <summary>"WithoutFreeSpace": the old format, BAT entries in sectors, only 32 bits of nb_sectors.</summary>
    public static ReadOnlySpan<byte> OldMagic => "WithoutFreeSpace"u8;

    /// <summary>"WithouFreSpacExt": the new format qemu creates, BAT entries in clusters.</summary>
    public static ReadOnlySpan<byte> NewMagic => "WithouFreSpacExt"u8;

    public const uint Version2 = 2;

    /// <summary>"Ynot": the image is open read-write (or was not closed cleanly).</summary>
    public const uint InUseMagic = 0x746F6E59;

    private const int VersionOffset = 16;
    private const int HeadsOffset = 20;
    private const int CylindersOffset = 24;
    private const int TracksOffset = 28;
    private const int BatEntriesOffset = 32;
    private const int NbSectorsOffset = 36;
    private const int InUseOffset = 44;
    private const int DataOffOffset = 48;
    private const int FlagsOffset = 52;
    private const int ExtOffOffset = 56;

    private readonly byte[] _raw;

    private ParallelsHeader(byte[] raw) => _raw = raw;

    /// <summary>A header over a copy of the first 64 bytes of the file.</summary>
    public static ParallelsHeader Parse(ReadOnlySpan<byte> buffer) => new(buffer[..Size].ToArray());

    /// <summary>A zeroed header with the new magic and version 2, for create.</summary>
    public static ParallelsHeader CreateNew()
    {
        var header = new ParallelsHeader(new byte[Size]);
        NewMagic.CopyTo(header._raw);
        header.Write(VersionOffset, Version2);
        return header;
    }

    public bool HasOldMagic => _raw.AsSpan(0, 16).SequenceEqual(OldMagic);

    public bool HasNewMagic => _raw.AsSpan(0, 16).SequenceEqual(NewMagic);

    public uint Version => Read(VersionOffset);

    public uint Heads { get => Read(HeadsOffset); set => Write(HeadsOffset, value); }

    public uint Cylinders { get => Read(CylindersOffset); set => Write(CylindersOffset, value); }

    /// <summary>Sectors per cluster.</summary>
    public uint Tracks { get => Read(TracksOffset); set => Write(TracksOffset, value); }

    public uint BatEntries { get => Read(BatEntriesOffset); set => Write(BatEntriesOffset, value); }

    public ulong NbSectors
    {
        get => BinaryPrimitives.ReadUInt64LittleEndian(_raw.AsSpan(NbSectorsOffset));
        set => BinaryPrimitives.WriteUInt64LittleEndian(_raw.AsSpan(NbSectorsOffset), value);
    }

    public uint InUse { get => Read(InUseOffset); set => Write(InUseOffset, value); }

    /// <summary>First data sector; 0 means "right after the BAT".</summary>
    public uint DataOff { get => Read(DataOffOffset); set => Write(DataOffOffset, value); }

    public uint Flags => Read(FlagsOffset);

    /// <summary>Sector of the format extension cluster; 0 when there is none.</summary>
    public ulong ExtOff => BinaryPrimitives.ReadUInt64LittleEndian(_raw.AsSpan(ExtOffOffset));

    public byte[] ToBytes() => (byte[])_raw.Clone();

    private uint Read(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_raw.AsSpan(offset));

    private void Write(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_raw.AsSpan(offset), value);
}
