using ImageBuild.Engine.Host;

namespace ImageBuild.Packaging.Tar;

/// <summary>
/// The sparse map of a host file as <see cref="DeterministicTarWriter.AddSparseFile"/> stores it: the runs of
/// 4 KiB blocks holding a non-zero byte. Only the ranges the file system reports as data are read
/// (<see cref="HostFile.GetAllocation"/>, SEEK_DATA/SEEK_HOLE), and every block read is tested for zeros, so the map
/// depends on the bytes alone, not on which zero ranges are holes here. As GNU tar's raw hole detection does, a
/// file that ends in zeros gets a last entry of length 0 at its end (so the reader learns the file's length), and
/// an all-zero file has that one entry.
/// </summary>
internal static class NonZeroBlockScanner
{
    /// <summary>The granularity: runs of all-zero blocks of this size are left out.</summary>
    public const int BlockSize = 4096;

    /// <summary>Reads of at most this many bytes.</summary>
    public const int ReadSize = 1 << 20;

    /// <exception cref="IOException">The file has more runs than <see cref="GnuSparseMap.MaxEntries"/>.</exception>
    public static GnuSparseMap Scan(HostFile file, long length, byte[] buffer, CancellationToken cancellation)
    {
        var map = new GnuSparseMap();
        long scanned = 0; // every block before this offset is classified
        for (long pos = 0; pos < length;)
        {
            var (isData, run) = file.GetAllocation(pos, length - pos);
            if (run <= 0) run = length - pos;
            long end = Math.Min(length, pos + run);
            if (isData)
            {
                long start = Math.Max(scanned, pos / BlockSize * BlockSize);
                long stop = Math.Min(length, (end + BlockSize - 1) / BlockSize * BlockSize);
                ClassifyBlocks(file, start, stop, buffer, map, cancellation);
                scanned = Math.Max(scanned, stop);
            }
            pos = end;
        }
        if (map.Count == 0 || map.Last.End < length) Add(map, new GnuSparseEntry(length, 0), file.Path);
        return map;
    }

    private static void ClassifyBlocks(HostFile file, long start, long stop, byte[] buffer, GnuSparseMap map, CancellationToken cancellation)
    {
        for (long pos = start; pos < stop;)
        {
            cancellation.ThrowIfCancellationRequested();
            int want = (int)Math.Min(buffer.Length, stop - pos);
            Span<byte> chunk = buffer.AsSpan(0, want);
            file.Read(pos, chunk);
            for (int b = 0; b < want; b += BlockSize)
            {
                Span<byte> block = chunk.Slice(b, Math.Min(BlockSize, want - b));
                if (!block.ContainsAnyExcept((byte)0)) continue;
                long blockStart = pos + b;
                if (map.Count > 0 && map.Last.End == blockStart) map.ExtendLast(block.Length);
                else Add(map, new GnuSparseEntry(blockStart, block.Length), file.Path);
            }
            pos += want;
        }
    }

    private static void Add(GnuSparseMap map, GnuSparseEntry entry, string path)
    {
        if (!map.TryAdd(entry))
            throw new IOException($"{path}: too fragmented to store as a sparse tar member (more than {GnuSparseMap.MaxEntries} data runs)");
    }
}
