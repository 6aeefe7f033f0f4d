using System.Buffers.Binary;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>
/// A stream-optimized marker read from one sector: a grain marker (LBA, compressed size &gt; 0, data from byte 12) or a
/// metadata marker (numSectors, size 0, type).
/// </summary>
public readonly record struct StreamMarker(ulong Value, uint Size, uint Type)
{
    public const uint Eos = 0, GrainTable = 1, GrainDirectory = 2, Footer = 3;
    public const int DataOffset = 12;

    public bool IsGrain => Size != 0;

    public bool IsEndOfStream => Value == 0 && Size == 0 && Type == Eos;

    public static StreamMarker Read(ReadOnlySpan<byte> sector) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(sector),
        BinaryPrimitives.ReadUInt32LittleEndian(sector[8..]),
        sector.Length >= 16 ? BinaryPrimitives.ReadUInt32LittleEndian(sector[12..]) : 0);
}
