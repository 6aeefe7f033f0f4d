using System.Buffers.Binary;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>The 512-byte hosted sparse extent header (also the stream footer), read as the spec lays it out.</summary>
public sealed record SparseExtentHeader
{
    public const uint MagicNumber = 0x564D444B;
    public const ulong GdAtEnd = ulong.MaxValue;
    public const uint FlagNewlineTest = 1u << 0;
    public const uint FlagRedundant = 1u << 1;
    public const uint FlagZeroedGrain = 1u << 2;
    public const uint FlagCompressed = 1u << 16;
    public const uint FlagMarkers = 1u << 17;

    public uint Magic { get; init; }
    public uint Version { get; init; }
    public uint Flags { get; init; }
    public ulong Capacity { get; init; }
    public ulong GrainSize { get; init; }
    public ulong DescriptorOffset { get; init; }
    public ulong DescriptorSize { get; init; }
    public uint NumGtesPerGt { get; init; }
    public ulong RgdOffset { get; init; }
    public ulong GdOffset { get; init; }
    public ulong OverHead { get; init; }
    public byte UncleanShutdown { get; init; }
    public byte SingleEndLineChar { get; init; }
    public byte NonEndLineChar { get; init; }
    public byte DoubleEndLineChar1 { get; init; }
    public byte DoubleEndLineChar2 { get; init; }
    public ushort CompressAlgorithm { get; init; }

    public bool Has(uint flag) => (Flags & flag) != 0;

    public static SparseExtentHeader Read(ReadOnlySpan<byte> s) => new()
    {
        Magic = BinaryPrimitives.ReadUInt32LittleEndian(s[0..]),
        Version = BinaryPrimitives.ReadUInt32LittleEndian(s[4..]),
        Flags = BinaryPrimitives.ReadUInt32LittleEndian(s[8..]),
        Capacity = BinaryPrimitives.ReadUInt64LittleEndian(s[12..]),
        GrainSize = BinaryPrimitives.ReadUInt64LittleEndian(s[20..]),
        DescriptorOffset = BinaryPrimitives.ReadUInt64LittleEndian(s[28..]),
        DescriptorSize = BinaryPrimitives.ReadUInt64LittleEndian(s[36..]),
        NumGtesPerGt = BinaryPrimitives.ReadUInt32LittleEndian(s[44..]),
        RgdOffset = BinaryPrimitives.ReadUInt64LittleEndian(s[48..]),
        GdOffset = BinaryPrimitives.ReadUInt64LittleEndian(s[56..]),
        OverHead = BinaryPrimitives.ReadUInt64LittleEndian(s[64..]),
        UncleanShutdown = s[72],
        SingleEndLineChar = s[73],
        NonEndLineChar = s[74],
        DoubleEndLineChar1 = s[75],
        DoubleEndLineChar2 = s[76],
        CompressAlgorithm = BinaryPrimitives.ReadUInt16LittleEndian(s[77..]),
    };

    /// <summary>Byte offsets of the fields, for tests that patch one.</summary>
    public static class At
    {
        public const int Version = 4, Flags = 8, Capacity = 12, GrainSize = 20, DescriptorOffset = 28, DescriptorSize = 36,
            NumGtesPerGt = 44, RgdOffset = 48, GdOffset = 56, OverHead = 64, UncleanShutdown = 72, NewlineChars = 73,
            CompressAlgorithm = 77;
    }
}
