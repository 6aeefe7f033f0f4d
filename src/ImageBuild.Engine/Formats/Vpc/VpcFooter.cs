using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>
/// The 512-byte hard disk footer (VHD specification, "Hard Disk Footer Format"), big-endian, at the end of every VHD
/// and, for dynamic and differencing disks, copied at offset 0. Every byte read is kept, so that the footer qemu
/// rewrites after an allocation is the one it read (qemu keeps the raw buffer).
/// </summary>
internal sealed class VpcFooter
{
    public const int Size = 512;

    /// <summary>Cookie "conectix" (spec: "Cookie").</summary>
    public static ReadOnlySpan<byte> Cookie => "conectix"u8;

    /// <summary>Features: bit 1 is reserved and always set (spec: "Features").</summary>
    public const uint FeaturesReserved = 0x2;

    /// <summary>File format version 1.0 (spec: "File Format Version").</summary>
    public const uint FormatVersion = 0x0001_0000;

    /// <summary>Data offset of a fixed disk: none (spec: "Data Offset", all 64 bits set as Microsoft's tools expect).</summary>
    public const ulong NoDataOffset = ulong.MaxValue;

    /// <summary>Seconds between 1970-01-01 and 2000-01-01 UTC, the base of VHD timestamps (spec: "Time Stamp").</summary>
    public const long TimestampBase = 946684800;

    private const int FeaturesOffset = 8;
    private const int VersionOffset = 12;
    private const int DataOffsetOffset = 16;
    private const int TimestampOffset = 24;
    private const int CreatorAppOffset = 28;
    private const int CreatorVersionOffset = 32;
    private const int CreatorOsOffset = 36;
    private const int OriginalSizeOffset = 40;
    private const int CurrentSizeOffset = 48;
    private const int CylindersOffset = 56;
    private const int HeadsOffset = 58;
    private const int SectorsOffset = 59;
    private const int DiskTypeOffset = 60;
    public const int ChecksumOffset = 64;
    private const int UniqueIdOffset = 68;

    private readonly byte[] _raw;

    private VpcFooter(byte[] raw) => _raw = raw;

    /// <summary>A footer of zeros with the cookie, as qemu's create starts from.</summary>
    public static VpcFooter CreateNew()
    {
        var f = new VpcFooter(new byte[Size]);
        Cookie.CopyTo(f._raw);
        return f;
    }

    public static VpcFooter Parse(ReadOnlySpan<byte> data) => new(data[..Size].ToArray());

    public bool HasCookie => _raw.AsSpan(0, 8).SequenceEqual(Cookie);

    /// <summary>Features (spec: "Features"; 0x2 reserved, always set).</summary>
    public uint Features { get => U32(FeaturesOffset); set => SetU32(FeaturesOffset, value); }

    /// <summary>File Format Version (spec: 0x00010000).</summary>
    public uint Version { get => U32(VersionOffset); set => SetU32(VersionOffset, value); }

    /// <summary>Data Offset: the dynamic disk header's absolute offset; all ones for a fixed disk.</summary>
    public ulong DataOffset { get => U64(DataOffsetOffset); set => SetU64(DataOffsetOffset, value); }

    /// <summary>Time Stamp: creation time in seconds since 2000-01-01 00:00:00 UTC.</summary>
    public uint Timestamp { get => U32(TimestampOffset); set => SetU32(TimestampOffset, value); }

    /// <summary>Creator Application, four bytes ("qemu", "qem2", "win ", "vpc ", "d2v ", "tap\0", "CTXS"...).</summary>
    public ReadOnlySpan<byte> CreatorApp => _raw.AsSpan(CreatorAppOffset, 4);

    public void SetCreatorApp(ReadOnlySpan<byte> app) => app[..4].CopyTo(_raw.AsSpan(CreatorAppOffset));

    /// <summary>Creator Version: major.minor of the creating application, as two 16-bit halves.</summary>
    public uint CreatorVersion { get => U32(CreatorVersionOffset); set => SetU32(CreatorVersionOffset, value); }

    /// <summary>Creator Host OS ("Wi2k", "Mac ").</summary>
    public void SetCreatorOs(ReadOnlySpan<byte> os) => os[..4].CopyTo(_raw.AsSpan(CreatorOsOffset));

    /// <summary>Original Size: the size of the disk at creation, in bytes.</summary>
    public ulong OriginalSize { get => U64(OriginalSizeOffset); set => SetU64(OriginalSizeOffset, value); }

    /// <summary>Current Size: the size of the disk as the guest sees it, in bytes.</summary>
    public ulong CurrentSize { get => U64(CurrentSizeOffset); set => SetU64(CurrentSizeOffset, value); }

    /// <summary>Disk Geometry: cylinders.</summary>
    public ushort Cylinders { get => BinaryPrimitives.ReadUInt16BigEndian(_raw.AsSpan(CylindersOffset)); set => BinaryPrimitives.WriteUInt16BigEndian(_raw.AsSpan(CylindersOffset), value); }

    /// <summary>Disk Geometry: heads.</summary>
    public byte Heads { get => _raw[HeadsOffset]; set => _raw[HeadsOffset] = value; }

    /// <summary>Disk Geometry: sectors per track (qemu: secs_per_cyl).</summary>
    public byte SectorsPerTrack { get => _raw[SectorsOffset]; set => _raw[SectorsOffset] = value; }

    /// <summary>C·H·S, the sector count the geometry describes.</summary>
    public long GeometrySectors => (long)Cylinders * Heads * SectorsPerTrack;

    /// <summary>Disk Type (<see cref="VpcDiskType"/>).</summary>
    public uint DiskType { get => U32(DiskTypeOffset); set => SetU32(DiskTypeOffset, value); }

    /// <summary>Checksum as stored.</summary>
    public uint Checksum { get => U32(ChecksumOffset); set => SetU32(ChecksumOffset, value); }

    /// <summary>Whether the stored checksum is the one's complement byte sum of the footer.</summary>
    public bool ChecksumValid => Checksum == VpcChecksum.Compute(_raw, ChecksumOffset);

    /// <summary>Unique Id: the disk's UUID, which a differencing child records as its parent's (bytes in RFC 4122 order).</summary>
    public Guid UniqueId
    {
        get => new(_raw.AsSpan(UniqueIdOffset, 16), bigEndian: true);
        set => value.TryWriteBytes(_raw.AsSpan(UniqueIdOffset, 16), bigEndian: true, out _);
    }

    /// <summary>Recomputes the checksum after fields changed.</summary>
    public void UpdateChecksum() => Checksum = VpcChecksum.Compute(_raw, ChecksumOffset);

    /// <summary>The 512 bytes as they are (checksum as stored).</summary>
    public ReadOnlySpan<byte> Bytes => _raw;

    /// <summary>A VHD time stamp for <paramref name="time"/> (seconds since 2000-01-01 UTC, wrapping as qemu's u32 does).</summary>
    public static uint ToTimestamp(DateTimeOffset time) => unchecked((uint)(time.ToUnixTimeSeconds() - TimestampBase));

    private uint U32(int at) => BinaryPrimitives.ReadUInt32BigEndian(_raw.AsSpan(at));
    private void SetU32(int at, uint v) => BinaryPrimitives.WriteUInt32BigEndian(_raw.AsSpan(at), v);
    private ulong U64(int at) => BinaryPrimitives.ReadUInt64BigEndian(_raw.AsSpan(at));
    private void SetU64(int at, ulong v) => BinaryPrimitives.WriteUInt64BigEndian(_raw.AsSpan(at), v);
}
