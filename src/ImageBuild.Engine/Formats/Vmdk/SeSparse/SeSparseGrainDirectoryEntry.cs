namespace ImageBuild.Engine.Formats.Vmdk.SeSparse;

/// <summary>
/// One u64 of the seSparse grain directory: 0 for no grain table, else 0x10000000 in the top 32 bits and the grain
/// table's number (in grain-table units from grain_tables_offset) in the low 32 bits. qemu accepts nothing else.
/// </summary>
internal readonly record struct SeSparseGrainDirectoryEntry(ulong Value)
{
    private const ulong AllocatedTag = 0x1000000000000000;

    public bool IsUnallocated => Value == 0;

    public bool IsValid => Value == 0 || (Value & 0xffffffff00000000) == AllocatedTag;

    public uint TableNumber => (uint)Value;
}
