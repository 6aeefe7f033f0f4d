using System.Text;
using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img compare: walks both images' whole chains by block status; ranges zero in both are equal,
/// ranges allocated in both are read and compared sector by sector, and a range allocated on one side
/// only must read as zeros. The first difference is reported at 512-byte sector granularity.
/// </summary>
public static class ImageComparer
{
    /// <summary>qemu's IO_BUF_SIZE.</summary>
    private const int ChunkSize = 2 << 20;
    private const int Sector = 512;

    public static CompareResult Compare(ImageContext context, CompareRequest request)
    {
        using var a = OpenOrFail(context, request.File1, request.Format1, request.ForceShare);
        using var b = OpenOrFail(context, request.File2, request.Format2, request.ForceShare);

        long size1 = a.VirtualSize, size2 = b.VirtualSize;
        long common = Math.Min(size1, size2);
        long progressBase = Math.Max(size1, size2);
        var output = new StringBuilder();
        request.Progress?.Invoke(0);

        if (request.Strict && size1 != size2)
            return new CompareResult(1, "Strict mode: Image size mismatch!");

        byte[] buf1 = GC.AllocateUninitializedArray<byte>(ChunkSize);
        byte[] buf2 = GC.AllocateUninitializedArray<byte>(ChunkSize);
        long offset = 0;
        while (offset < common)
        {
            BlockStatus s1 = Status(a, request.File1, offset, size1 - offset);
            BlockStatus s2 = Status(b, request.File2, offset, size2 - offset);
            long chunk = Math.Min(s1.Length, s2.Length);

            if (request.Strict && s1.Flags != s2.Flags)
                return new CompareResult(1, $"Strict mode: Offset {offset} block status mismatch!");

            if (s1.IsZero && s2.IsZero)
            {
                // equal
            }
            else if (s1.IsAllocated == s2.IsAllocated)
            {
                if (s1.IsAllocated)
                {
                    chunk = Math.Min(chunk, ChunkSize);
                    Read(a, request.File1, offset, buf1.AsSpan(0, (int)chunk));
                    Read(b, request.File2, offset, buf2.AsSpan(0, (int)chunk));
                    long mismatch = FirstDifferentSector(buf1.AsSpan(0, (int)chunk), buf2.AsSpan(0, (int)chunk));
                    if (mismatch >= 0)
                        return new CompareResult(1, $"Content mismatch at offset {offset + mismatch}!");
                }
            }
            else
            {
                chunk = Math.Min(chunk, ChunkSize);
                var (dev, name) = s1.IsAllocated ? (a, request.File1) : (b, request.File2);
                if (CheckEmpty(dev, name, offset, buf1.AsSpan(0, (int)chunk)) is { } msg)
                    return new CompareResult(1, msg);
            }
            offset += chunk;
            request.Progress?.Invoke(100.0 * offset / progressBase);
        }

        if (size1 != size2)
        {
            output.Append("Warning: Image size mismatch!\n");
            var (over, overName) = size1 > size2 ? (a, request.File1) : (b, request.File2);
            while (offset < progressBase)
            {
                BlockStatus st = Status(over, overName, offset, progressBase - offset);
                long chunk = st.Length;
                if (st.IsAllocated && !st.IsZero)
                {
                    chunk = Math.Min(chunk, ChunkSize);
                    if (CheckEmpty(over, overName, offset, buf1.AsSpan(0, (int)chunk)) is { } msg)
                        return new CompareResult(1, output + msg);
                }
                offset += chunk;
                request.Progress?.Invoke(100.0 * offset / progressBase);
            }
        }

        output.Append("Images are identical.");
        return new CompareResult(0, output.ToString());
    }

    private static BlockDevice OpenOrFail(ImageContext context, string file, string? format, bool forceShare)
    {
        try { return ImageOpener.Open(context, file, new OpenOptions { Format = format, ForceShare = forceShare }); }
        catch (ImageException e) { throw new CompareException(2, e.Message, e); }
    }

    private static BlockStatus Status(BlockDevice dev, string name, long offset, long length)
    {
        try
        {
            var st = BlockLayer.GetStatusAbove(dev, null, offset, length);
            if (st.Length <= 0) throw new ImageException("no progress");
            return st;
        }
        catch (ImageException e) { throw new CompareException(3, $"Sector allocation test failed for {name}", e); }
    }

    private static void Read(BlockDevice dev, string name, long offset, Span<byte> dest)
    {
        try { dev.Read(offset, dest); }
        catch (ImageException e) { throw new CompareException(4, $"Error while reading offset {offset} of {name}: {e.Message}", e); }
    }

    /// <summary>Reads a range that only one side allocates; it must be all zeros.</summary>
    private static string? CheckEmpty(BlockDevice dev, string name, long offset, Span<byte> buf)
    {
        Read(dev, name, offset, buf);
        int idx = buf.IndexOfAnyExcept((byte)0);
        return idx < 0 ? null : $"Content mismatch at offset {offset + idx / Sector * Sector}!";
    }

    /// <summary>Byte offset of the first 512-byte sector that differs, or -1.</summary>
    internal static long FirstDifferentSector(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        int idx = x.CommonPrefixLength(y);
        if (idx >= x.Length) return -1;
        return idx / Sector * Sector;
    }
}
