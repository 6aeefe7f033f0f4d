using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// One of the two headers (VHDX 1.0 §2.2.2) at 64 KiB and 128 KiB: a 4 KiB structure whose CRC-32C covers all 4 KiB.
/// Fields: Signature "head", Checksum, SequenceNumber (the valid header with the higher one is current),
/// FileWriteGuid (changed before the first write to the file of a session), DataWriteGuid (changed before the first
/// guest-visible write), LogGuid (zero: the log is empty), LogVersion (0), Version (1), LogLength and LogOffset
/// (1 MiB multiples). The reserved rest is kept as read, since the checksum covers it.
/// </summary>
internal sealed class VhdxHeader
{
    public const int Size = 4096;
    public const long Header1Offset = 64 << 10;
    public const long Header2Offset = 128 << 10;
    private const uint SignatureValue = 0x64616568; // "head"

    private readonly byte[] _raw;

    private VhdxHeader(byte[] raw) => _raw = raw;

    public ulong SequenceNumber { get; set; }
    public Guid FileWriteGuid { get; set; }
    public Guid DataWriteGuid { get; set; }
    public Guid LogGuid { get; set; }
    public ushort LogVersion { get; set; }
    public ushort Version { get; set; }
    public uint LogLength { get; set; }
    public ulong LogOffset { get; set; }

    /// <summary>qemu's validity rule: checksum right, signature "head", version 1.</summary>
    public bool IsValid { get; private init; }

    public static VhdxHeader New() => new(new byte[Size]) { Version = 1, IsValid = true };

    public static VhdxHeader Parse(ReadOnlySpan<byte> raw)
    {
        var copy = raw[..Size].ToArray();
        var h = new VhdxHeader(copy)
        {
            SequenceNumber = BinaryPrimitives.ReadUInt64LittleEndian(raw[8..]),
            FileWriteGuid = new Guid(raw.Slice(16, 16)),
            DataWriteGuid = new Guid(raw.Slice(32, 16)),
            LogGuid = new Guid(raw.Slice(48, 16)),
            LogVersion = BinaryPrimitives.ReadUInt16LittleEndian(raw[64..]),
            Version = BinaryPrimitives.ReadUInt16LittleEndian(raw[66..]),
            LogLength = BinaryPrimitives.ReadUInt32LittleEndian(raw[68..]),
            LogOffset = BinaryPrimitives.ReadUInt64LittleEndian(raw[72..]),
            IsValid = VhdxChecksum.IsValid(raw[..Size], 4)
                && BinaryPrimitives.ReadUInt32LittleEndian(raw) == SignatureValue
                && BinaryPrimitives.ReadUInt16LittleEndian(raw[66..]) == 1,
        };
        return h;
    }

    /// <summary>The 4 KiB as written: the fields over the reserved bytes as read, then the checksum.</summary>
    public byte[] ToBytes()
    {
        var b = (byte[])_raw.Clone();
        Span<byte> s = b;
        BinaryPrimitives.WriteUInt32LittleEndian(s, SignatureValue);
        BinaryPrimitives.WriteUInt64LittleEndian(s[8..], SequenceNumber);
        FileWriteGuid.TryWriteBytes(s.Slice(16, 16));
        DataWriteGuid.TryWriteBytes(s.Slice(32, 16));
        LogGuid.TryWriteBytes(s.Slice(48, 16));
        BinaryPrimitives.WriteUInt16LittleEndian(s[64..], LogVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(s[66..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(s[68..], LogLength);
        BinaryPrimitives.WriteUInt64LittleEndian(s[72..], LogOffset);
        VhdxChecksum.Update(s, 4);
        return b;
    }

    public VhdxHeader Clone() => new((byte[])_raw.Clone())
    {
        SequenceNumber = SequenceNumber, FileWriteGuid = FileWriteGuid, DataWriteGuid = DataWriteGuid, LogGuid = LogGuid,
        LogVersion = LogVersion, Version = Version, LogLength = LogLength, LogOffset = LogOffset, IsValid = IsValid,
    };
}
