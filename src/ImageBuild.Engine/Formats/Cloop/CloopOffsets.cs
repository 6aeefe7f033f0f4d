using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>
/// The offsets table: n_blocks + 1 big-endian u64 file offsets, block i being the zlib stream from offsets[i] to
/// offsets[i+1]. It can describe up to 512 MiB, so it is held in pages, and only the part inside the file: as
/// through qemu's file protocol, entries past the end of the file read as 0, so memory stays bounded by the file's
/// size whatever the header claims. Checked as qemu checks it on open: never decreasing, and no block longer than
/// twice the largest uncompressed block.
/// </summary>
public sealed class CloopOffsets
{
    /// <summary>Entries per page (8 MiB): well below the size of array the runtime must never allocate in one piece.</summary>
    private const int PageEntries = 1 << 20;

    /// <summary>qemu's bound on one compressed block (2 * MAX_BLOCK_SIZE).</summary>
    public const ulong MaxCompressedBlock = 2UL * CloopHeader.MaxBlockSize;

    private readonly ulong[][] _pages;
    private readonly long _inFile;

    private CloopOffsets(ulong[][] pages, long inFile, ulong largest)
    {
        _pages = pages;
        _inFile = inFile;
        LargestBlock = largest;
    }

    /// <summary>The longest compressed block (at least 1, as qemu counts it).</summary>
    public ulong LargestBlock { get; }

    /// <summary>offsets[i], 0 for entries stored past the end of the file.</summary>
    public ulong this[long i] => i < _inFile ? _pages[i / PageEntries][i % PageEntries] : 0;

    /// <summary>Reads the table after the header and checks it.</summary>
    public static CloopOffsets Read(HostFile file, CloopHeader header)
    {
        long count = (long)header.BlockCount + 1;
        long inFile = Math.Clamp((file.Length - CloopHeader.OffsetsTableOffset + 7) / 8, 0, count);
        var pages = new ulong[(inFile + PageEntries - 1) / PageEntries][];
        byte[] raw = new byte[(int)Math.Min(inFile, PageEntries) * 8];
        for (int p = 0; p < pages.Length; p++)
        {
            int n = (int)Math.Min(PageEntries, inFile - (long)p * PageEntries);
            var bytes = raw.AsSpan(0, n * 8);
            file.Read(CloopHeader.OffsetsTableOffset + (long)p * PageEntries * 8, bytes);
            var page = new ulong[n];
            for (int j = 0; j < n; j++)
                page[j] = BinaryPrimitives.ReadUInt64BigEndian(bytes[(j * 8)..]);
            pages[p] = page;
        }
        return new CloopOffsets(pages, inFile, Check(pages, count, inFile));
    }

    /// <summary>qemu's open-time loop over the table; entries past the file are zeros, so only the first of them can fail.</summary>
    private static ulong Check(ulong[][] pages, long count, long inFile)
    {
        ulong At(long i) => i < inFile ? pages[i / PageEntries][i % PageEntries] : 0;
        ulong largest = 1;
        long last = Math.Min(count - 1, inFile);
        for (long i = 1; i <= last; i++)
        {
            ulong prev = At(i - 1), cur = At(i);
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
