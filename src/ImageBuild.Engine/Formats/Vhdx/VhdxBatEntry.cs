namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// A BAT entry (VHDX 1.0 §2.5.1): bits 0–2 the state, bits 20–63 the file offset in MiB. Payload block states
/// (§2.5.1.1) and sector bitmap block states (§2.5.1.2) share the field.
/// </summary>
internal static class VhdxBatEntry
{
    public const ulong StateMask = 0x7;
    public const ulong OffsetMask = 0xFFFFFFFFFFF00000;

    /// <summary>PAYLOAD_BLOCK_NOT_PRESENT: never written; zeros, or the parent's data in a differencing image.</summary>
    public const int NotPresent = 0;
    /// <summary>PAYLOAD_BLOCK_UNDEFINED: content undefined; read as zeros.</summary>
    public const int Undefined = 1;
    /// <summary>PAYLOAD_BLOCK_ZERO: reads as zeros (qemu marks new blocks so with block_state_zero; its offset must be 0 for Hyper-V).</summary>
    public const int Zero = 2;
    /// <summary>PAYLOAD_BLOCK_UNMAPPED: unmapped by the guest; read as zeros.</summary>
    public const int Unmapped = 3;
    /// <summary>The VHDX 0.95 draft's value for UNMAPPED, which qemu also reads as zeros.</summary>
    public const int UnmappedV095 = 5;
    /// <summary>PAYLOAD_BLOCK_FULLY_PRESENT: the whole block is at the entry's offset (also SB_BLOCK_PRESENT for a sector bitmap entry).</summary>
    public const int FullyPresent = 6;
    /// <summary>PAYLOAD_BLOCK_PARTIALLY_PRESENT: differencing only; the sector bitmap says which sectors are here.</summary>
    public const int PartiallyPresent = 7;

    public static int State(ulong entry) => (int)(entry & StateMask);

    public static long Offset(ulong entry) => (long)(entry & OffsetMask);

    /// <summary>qemu's vhdx_update_bat_table_entry: states without data carry offset 0 (Hyper-V refuses others).</summary>
    public static ulong Make(int state, long fileOffset) =>
        state is Zero or Undefined or NotPresent or Unmapped ? (ulong)(uint)state : ((ulong)fileOffset & OffsetMask) | (uint)state;
}
