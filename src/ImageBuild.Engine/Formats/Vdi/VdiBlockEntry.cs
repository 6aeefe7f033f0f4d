namespace ImageBuild.Engine.Formats.Vdi;

/// <summary>
/// One block map entry: the index of the block in the data area (at offset_data + index * block_size; qemu ignores
/// block_extra), or one of two markers.
/// </summary>
internal static class VdiBlockEntry
{
    /// <summary>VDI_UNALLOCATED: a block never written (reads as zeros in qemu).</summary>
    public const uint Unallocated = 0xFFFF_FFFF;

    /// <summary>VDI_DISCARDED: a block VirtualBox freed (reads as zeros).</summary>
    public const uint Discarded = 0xFFFF_FFFE;

    /// <summary>VDI_IS_ALLOCATED: any value below the two markers.</summary>
    public static bool IsAllocated(uint entry) => entry < Discarded;
}
