using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Oci.Layers;

/// <summary>
/// Finds the 4 KiB blocks of a file that hold a non-zero byte, merged into runs. Only the allocated ranges are
/// read (holes are zeros by definition), and every block read is tested for zeros, so the result depends on the
/// bytes alone: the same content gives the same map whichever of its zero ranges are holes on this machine.
/// </summary>
internal static class ZeroBlockScanner
{
    /// <summary>The block size of the encoding: runs of all-zero blocks of this size are left out.</summary>
    public const int BlockSize = 4096;

    private const int ReadSize = 1 << 20;

    /// <summary>The runs of non-zero blocks of the first <paramref name="length"/> bytes of the file.</summary>
    /// <exception cref="IOException">The file ends early, or has more runs than <see cref="SparseMap.MaxEntries"/>.</exception>
    public static SparseMap Scan(SafeFileHandle file, long length, string displayPath, CancellationToken ct)
    {
        var map = new SparseMap();
        byte[] buffer = new byte[ReadSize];
        foreach (DataExtent allocated in FileExtents.Allocated(file, length))
        {
            long start = allocated.Offset / BlockSize * BlockSize;
            long end = Math.Min(length, (allocated.End + BlockSize - 1) / BlockSize * BlockSize);
            // Blocks already classified by the previous allocated range (it ended inside a block) are skipped.
            if (map.Count > 0 && start < map.Last.End) start = map.Last.End;
            for (long pos = start; pos < end;)
            {
                ct.ThrowIfCancellationRequested();
                int want = (int)Math.Min(ReadSize, end - pos);
                Span<byte> chunk = buffer.AsSpan(0, want);
                ReadExactly(file, chunk, pos, displayPath);
                for (int b = 0; b < want; b += BlockSize)
                {
                    Span<byte> block = chunk.Slice(b, Math.Min(BlockSize, want - b));
                    if (!block.ContainsAnyExcept((byte)0)) continue;
                    long blockStart = pos + b;
                    if (map.Count > 0 && map.Last.End == blockStart) map.ExtendLast(block.Length);
                    else if (!map.TryAdd(new DataExtent(blockStart, block.Length)))
                        throw new IOException($"{displayPath}: too fragmented to encode as a layer (more than {SparseMap.MaxEntries} data runs)");
                }
                pos += want;
            }
        }
        return map;
    }

    /// <summary>Fills <paramref name="destination"/> from the file at <paramref name="offset"/>.</summary>
    public static void ReadExactly(SafeFileHandle file, Span<byte> destination, long offset, string displayPath)
    {
        while (!destination.IsEmpty)
        {
            int n = RandomAccess.Read(file, destination, offset);
            if (n <= 0) throw new IOException($"{displayPath}: the file became shorter while it was being encoded");
            destination = destination[n..];
            offset += n;
        }
    }
}
