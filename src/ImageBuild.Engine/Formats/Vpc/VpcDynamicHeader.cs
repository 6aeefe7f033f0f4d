using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>
/// The 1024-byte dynamic disk header (VHD specification, "Dynamic Disk Header Format"), big-endian, at the footer's
/// data offset of a dynamic or differencing disk. qemu reads only its first 512 bytes; the parent locators of a
/// differencing disk lie in the second half, which this driver reads too.
/// </summary>
internal sealed class VpcDynamicHeader
{
    public const int Size = 1024;

    /// <summary>Cookie "cxsparse" (spec: "Cookie").</summary>
    public static ReadOnlySpan<byte> Cookie => "cxsparse"u8;

    /// <summary>Header Version 1.0 (spec: 0x00010000).</summary>
    public const uint HeaderVersion = 0x0001_0000;

    /// <summary>The block size qemu and Microsoft's tools write (spec: "Block Size", default 2 MiB).</summary>
    public const uint DefaultBlockSize = 0x20_0000;

    private const int DataOffsetOffset = 8;
    private const int TableOffsetOffset = 16;
    private const int VersionOffset = 24;
    private const int MaxTableEntriesOffset = 28;
    private const int BlockSizeOffset = 32;
    public const int ChecksumOffset = 36;
    private const int ParentUniqueIdOffset = 40;
    private const int ParentTimestampOffset = 56;
    private const int ParentUnicodeNameOffset = 64;
    public const int ParentUnicodeNameSize = 512;
    private const int ParentLocatorsOffset = 576;
    public const int ParentLocatorCount = 8;

    private readonly byte[] _raw;

    private VpcDynamicHeader(byte[] raw) => _raw = raw;

    public static VpcDynamicHeader Parse(ReadOnlySpan<byte> data)
    {
        var raw = new byte[Size];
        data[..Math.Min(Size, data.Length)].CopyTo(raw);
        return new VpcDynamicHeader(raw);
    }

    /// <summary>A header of zeros with the cookie, the unused data offset (all 64 bits set, as Microsoft's tools expect) and version 1.0.</summary>
    public static VpcDynamicHeader CreateNew()
    {
        var h = new VpcDynamicHeader(new byte[Size]);
        Cookie.CopyTo(h._raw);
        h.DataOffset = ulong.MaxValue;
        h.Version = HeaderVersion;
        return h;
    }

    public bool HasCookie => _raw.AsSpan(0, 8).SequenceEqual(Cookie);

    /// <summary>Data Offset: the next structure; unused (all ones).</summary>
    public ulong DataOffset { get => U64(DataOffsetOffset); set => SetU64(DataOffsetOffset, value); }

    /// <summary>Table Offset: the absolute offset of the BAT.</summary>
    public ulong TableOffset { get => U64(TableOffsetOffset); set => SetU64(TableOffsetOffset, value); }

    /// <summary>Header Version.</summary>
    public uint Version { get => U32(VersionOffset); set => SetU32(VersionOffset, value); }

    /// <summary>Max Table Entries: the number of BAT entries (at least the disk size over the block size).</summary>
    public uint MaxTableEntries { get => U32(MaxTableEntriesOffset); set => SetU32(MaxTableEntriesOffset, value); }

    /// <summary>Block Size: bytes of guest data per block, a power of two (excluding its sector bitmap).</summary>
    public uint BlockSize { get => U32(BlockSizeOffset); set => SetU32(BlockSizeOffset, value); }

    public uint Checksum { get => U32(ChecksumOffset); set => SetU32(ChecksumOffset, value); }

    /// <summary>Parent Unique ID: the parent's footer Unique Id (differencing disks).</summary>
    public Guid ParentUniqueId
    {
        get => new(_raw.AsSpan(ParentUniqueIdOffset, 16), bigEndian: true);
        set => value.TryWriteBytes(_raw.AsSpan(ParentUniqueIdOffset, 16), bigEndian: true, out _);
    }

    /// <summary>Parent Time Stamp: the parent's modification time, seconds since 2000-01-01 UTC.</summary>
    public uint ParentTimestamp { get => U32(ParentTimestampOffset); set => SetU32(ParentTimestampOffset, value); }

    /// <summary>Parent Unicode Name: the parent's file name, UTF-16 big-endian, NUL-padded (spec: "Parent Unicode Name").</summary>
    public string ParentUnicodeName
    {
        get
        {
            string s = Encoding.BigEndianUnicode.GetString(_raw, ParentUnicodeNameOffset, ParentUnicodeNameSize);
            int nul = s.IndexOf('\0', StringComparison.Ordinal);
            return nul >= 0 ? s[..nul] : s;
        }
        set
        {
            var area = _raw.AsSpan(ParentUnicodeNameOffset, ParentUnicodeNameSize);
            area.Clear();
            byte[] b = Encoding.BigEndianUnicode.GetBytes(value);
            b.AsSpan(0, Math.Min(b.Length, ParentUnicodeNameSize)).CopyTo(area);
        }
    }

    public VpcParentLocator GetLocator(int i) =>
        VpcParentLocator.Parse(_raw.AsSpan(ParentLocatorsOffset + i * VpcParentLocator.Size, VpcParentLocator.Size));

    public void SetLocator(int i, VpcParentLocator locator) =>
        locator.WriteTo(_raw.AsSpan(ParentLocatorsOffset + i * VpcParentLocator.Size, VpcParentLocator.Size));

    public bool ChecksumValid => Checksum == VpcChecksum.Compute(_raw, ChecksumOffset);

    public void UpdateChecksum() => Checksum = VpcChecksum.Compute(_raw, ChecksumOffset);

    public ReadOnlySpan<byte> Bytes => _raw;

    private uint U32(int at) => BinaryPrimitives.ReadUInt32BigEndian(_raw.AsSpan(at));
    private void SetU32(int at, uint v) => BinaryPrimitives.WriteUInt32BigEndian(_raw.AsSpan(at), v);
    private ulong U64(int at) => BinaryPrimitives.ReadUInt64BigEndian(_raw.AsSpan(at));
    private void SetU64(int at, ulong v) => BinaryPrimitives.WriteUInt64BigEndian(_raw.AsSpan(at), v);
}
