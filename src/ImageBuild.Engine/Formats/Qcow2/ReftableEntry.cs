namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// Bit layout of a refcount table entry (docs/interop/qcow2.txt): bits 9-63 are the refcount block's offset,
/// bits 0-8 are reserved. Unlike L1/L2 entries, bits 56-63 belong to the offset, so an entry with one of them
/// set names a refcount block far outside the image (qemu's REFT_OFFSET_MASK / REFT_RESERVED_MASK).
/// </summary>
internal static class ReftableEntry
{
    public const ulong OffsetMask = 0xFFFF_FFFF_FFFF_FE00UL;
    public const ulong ReservedMask = 0x1FFUL;

    /// <summary>The refcount block offset an entry names (0: no block).</summary>
    public static long BlockOffset(ulong entry) => (long)(entry & OffsetMask);
}
