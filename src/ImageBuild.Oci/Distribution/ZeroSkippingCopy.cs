using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Oci.Distribution;

/// <summary>
/// Copies a stream into a new file, leaving runs of all-zero 4 KiB blocks unwritten (holes) and setting the length
/// at the end: a raw disk that travelled dense in a containerDisk lands sparse again. Memory: one 1 MiB buffer.
/// </summary>
internal static class ZeroSkippingCopy
{
    private const int Block = 4096;
    private const int BufferSize = 1 << 20;

    /// <summary>Copies exactly <paramref name="length"/> bytes; fewer in <paramref name="source"/> is an InvalidDataException.</summary>
    public static async Task CopyAsync(Stream source, SafeFileHandle destination, long length, string shownAs, CancellationToken ct)
    {
        byte[] buffer = new byte[BufferSize];
        long position = 0;
        while (position < length)
        {
            int want = (int)Math.Min(BufferSize, length - position);
            int filled = 0;
            while (filled < want)
            {
                int n = await source.ReadAsync(buffer.AsMemory(filled, want - filled), ct).ConfigureAwait(false);
                if (n == 0)
                    throw new InvalidDataException($"{shownAs}: the disk file ends after {position + filled} of {length} bytes");
                filled += n;
            }
            await WriteDataAsync(destination, buffer.AsMemory(0, filled), position, ct).ConfigureAwait(false);
            position += filled;
        }
        RandomAccess.SetLength(destination, length);
    }

    /// <summary>Writes the runs of <paramref name="data"/> that are not all-zero blocks, at their offsets.</summary>
    private static async Task WriteDataAsync(SafeFileHandle file, ReadOnlyMemory<byte> data, long offset, CancellationToken ct)
    {
        int start = -1;
        for (int at = 0; at < data.Length; at += Block)
        {
            int size = Math.Min(Block, data.Length - at);
            bool zero = !data.Span.Slice(at, size).ContainsAnyExcept((byte)0);
            if (!zero && start < 0)
                start = at;
            else if (zero && start >= 0)
            {
                await RandomAccess.WriteAsync(file, data[start..at], offset + start, ct).ConfigureAwait(false);
                start = -1;
            }
        }
        if (start >= 0)
            await RandomAccess.WriteAsync(file, data[start..], offset + start, ct).ConfigureAwait(false);
    }
}
