using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>
/// The offsets table: n_blocks + 1 big-endian u64 file offsets, block i being the zlib stream from offsets[i] to
/// offsets[i+1]. It can describe up to 512 MiB, so it is held in pages. A table reaching past the end of the file is
/// refused, naming the file (qemu reads the missing entries as zeros, as through its file protocol, and then fails
/// or reads zeros), as the engine refuses every format's tables that do: memory stays bounded by the file's size
/// whatever the header claims. Otherwise checked as qemu checks it on open: never decreasing, and no block longer
/// than twice the largest uncompressed block.
/// </summary>
public sealed class CloopOffsets
{
    /// <summary>Entries per page (8 MiB): well below the size of array the runtime must never allocate in one piece.</summary>
    private const int PageEntries = 1 << 20;

    /// <summary>qemu's bound on one compressed block (2 * MAX_BLOCK_SIZE).</summary>
    public const ulong MaxCompressedBlock = 2UL * CloopHeader.MaxBlockSize;

    private readonly ulong[][] _pages;

    private CloopOffsets(ulong[][] pages, ulong largest)
    {
        _pages = pages;
        LargestBlock = largest;
    }

    /// <summary>The longest compressed block (at least 1, as qemu counts it).</summary>
    public ulong LargestBlock { get; }

    /// <summary>offsets[i].</summary>
    public ulong this[long i] => _pages[i / PageEntries][i % PageEntries];

    /// <summary>Reads the table after the header and checks it.</summary>
    public static CloopOffsets Read(HostFile file, string filename, CloopHeader header)
    {
        long count = (long)header.BlockCount + 1, length = file.Length;
        if (CloopHeader.OffsetsTableOffset + header.OffsetsTableBytes > length)
            throw new ImageCorruptException(
                $"'{filename}': offsets table at offset {CloopHeader.OffsetsTableOffset} ({header.OffsetsTableBytes} bytes) lies past the end of the file ({length} bytes)");
        var pages = new ulong[(count + PageEntries - 1) / PageEntries][];
        byte[] raw = new byte[(int)Math.Min(count, PageEntries) * 8];
        for (int p = 0; p < pages.Length; p++)
        {
            int n = (int)Math.Min(PageEntries, count - (long)p * PageEntries);
            var bytes = raw.AsSpan(0, n * 8);
            file.Read(CloopHeader.OffsetsTableOffset + (long)p * PageEntries * 8, bytes);
            var page = new ulong[n];
            for (int j = 0; j < n; j++)
                page[j] = BinaryPrimitives.ReadUInt64BigEndian(bytes[(j * 8)..]);
            pages[p] = page;
        }
        var table = new CloopOffsets(pages, 0);
        return new CloopOffsets(pages, table.Check(count));
    }

    /// <summary>qemu's open-time loop over the table; returns the longest block.</summary>
    private ulong Check(long count)
    {
        ulong largest = 1;
        for (long i = 1; i < count; i++)
        {
            ulong prev = this[i - 1], cur = this[i];
            if (cur < prev)
                throw new ImageException($"offsets not monotonically increasing at index {i}, image file is corrupt");
            ulong size = cur - prev;
            if (size > MaxCompressedBlock)
                throw new ImageException($"invalid compressed block size at index {i}, image file is corrupt");
            largest = Math.Max(largest, size);
        }
        return largest;
    }
}
