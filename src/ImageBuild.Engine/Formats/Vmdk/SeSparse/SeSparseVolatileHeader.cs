using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vmdk.SeSparse;

/// <summary>
/// The volatile header of an seSparse extent (one sector at the const header's volatile_header_offset; qemu's
/// VMDKSESparseVolatileHeader): four little-endian u64 fields then 480 bytes of padding.
/// </summary>
internal sealed class SeSparseVolatileHeader
{
    public const int Size = 512;
    public const ulong MagicValue = 0x00000000cafecafe;
    private const int FieldCount = 4;

    public ulong Magic { get; init; }
    public ulong FreeGtNumber { get; init; }
    public ulong NextTxnSeqNumber { get; init; }
    public ulong ReplayJournal { get; init; }

    /// <summary>Whether the padding after the fields is all zeros.</summary>
    public bool PaddingIsZero { get; init; } = true;

    public static SeSparseVolatileHeader Parse(ReadOnlySpan<byte> b) => new()
    {
        Magic = BinaryPrimitives.ReadUInt64LittleEndian(b),
        FreeGtNumber = BinaryPrimitives.ReadUInt64LittleEndian(b[8..]),
        NextTxnSeqNumber = BinaryPrimitives.ReadUInt64LittleEndian(b[16..]),
        ReplayJournal = BinaryPrimitives.ReadUInt64LittleEndian(b[24..]),
        PaddingIsZero = !b[(FieldCount * 8)..Size].ContainsAnyExcept((byte)0),
    };

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(b, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(b[8..], FreeGtNumber);
        BinaryPrimitives.WriteUInt64LittleEndian(b[16..], NextTxnSeqNumber);
        BinaryPrimitives.WriteUInt64LittleEndian(b[24..], ReplayJournal);
        b[(FieldCount * 8)..Size].Clear();
    }

    /// <summary>qemu's check_se_sparse_volatile_header, in its order and with its messages.</summary>
    public void Check()
    {
        if (Magic != MagicValue)
            throw SeSparseConstHeader.Refused($"Bad volatile header magic: 0x{Magic:x16}", Info.SnapshotException.EINVAL);
        if (ReplayJournal != 0)
            throw SeSparseConstHeader.Refused("Image is dirty, Replaying journal not supported");
        if (!PaddingIsZero)
            throw SeSparseConstHeader.Refused("Unsupported non-zero volatile header padding");
    }
}
