namespace ImageBuild.Engine.Formats.Vdi;

/// <summary>
/// Which data blocks check has seen named (qemu keeps a u32 per block, up to 2 GiB). One bit per block, in chunks
/// of 1 Mi blocks made when first touched: a real image's data blocks are numbered from 0, so memory follows the data
/// the file holds (a bit per MiB), and no single allocation grows with the header's blocks_in_image.
/// </summary>
internal sealed class VdiUsedBlocks(uint count)
{
    private const int ChunkBits = 20;
    private readonly ulong[]?[] _chunks = new ulong[]?[(count + (1L << ChunkBits) - 1) >> ChunkBits];

    /// <summary>Marks <paramref name="block"/> used; false when it already was.</summary>
    public bool Add(uint block)
    {
        ulong[] chunk = _chunks[block >> ChunkBits] ??= new ulong[(1 << ChunkBits) / 64];
        int bit = (int)(block & ((1 << ChunkBits) - 1));
        ulong mask = 1UL << (bit & 63);
        if ((chunk[bit >> 6] & mask) != 0) return false;
        chunk[bit >> 6] |= mask;
        return true;
    }
}
