namespace ImageBuild.Engine.Formats.Vmdk.SeSparse;

/// <summary>
/// One u64 of an seSparse grain table; the top nibble is the type: 0 unallocated (the whole entry must be 0),
/// 1 SCSI-unmapped and 2 zeroed (both read as zeros, never from a backing file), 3 allocated, others invalid.
/// An allocated entry stores its grain number with the low 12 bits in bits 48..59 and the rest in bits 0..47.
/// </summary>
internal readonly record struct SeSparseGrainTableEntry(ulong Value)
{
    public enum EntryKind { Unallocated, Zero, Allocated, Invalid }

    public EntryKind Kind => (Value >> 60) switch
    {
        0 => Value == 0 ? EntryKind.Unallocated : EntryKind.Invalid,
        1 or 2 => EntryKind.Zero,
        3 => EntryKind.Allocated,
        _ => EntryKind.Invalid,
    };

    /// <summary>The grain number of an allocated entry (qemu's decoding: a 60-bit value).</summary>
    public ulong GrainIndex => ((Value & 0x0fff000000000000) >> 48) | ((Value & 0x0000ffffffffffff) << 12);

    /// <summary>The entry an allocated grain <paramref name="grainIndex"/> (below 2^60) is stored as.</summary>
    public static SeSparseGrainTableEntry Allocated(ulong grainIndex) =>
        new(0x3000000000000000 | ((grainIndex & 0xfff) << 48) | ((grainIndex >> 12) & 0x0000ffffffffffff));
}
