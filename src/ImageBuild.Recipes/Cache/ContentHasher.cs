using System.Buffers;
using System.IO.Hashing;
using ImageBuild.Engine.Host;

namespace ImageBuild.Recipes.Cache;

/// <summary>
/// Hashes a file's logical content with XxHash128, reading only its data extents (SEEK_DATA/SEEK_HOLE): the file
/// is cut into 4 KiB blocks; every block that is not all zeroes contributes its index and bytes, and the file
/// length closes the hash. So the hash depends on the bytes alone — not on which zero ranges happen to be holes
/// on this file system — and a mostly-sparse image of many GiB hashes in the time it takes to read its data.
/// Written "xxh128:" + 32 hex digits. The hashing itself is <see cref="ContentHashBuilder"/>'s, which also hashes
/// bytes as they stream by (a pull's extraction) without reading the file.
/// </summary>
public static class ContentHasher
{
    public const string Prefix = "xxh128:";
    private const int Block = ContentHashBuilder.BlockSize;
    private const int Chunk = 4 << 20;

    public static string HashFile(string path) => HashFile(path, out _);

    /// <param name="path">File to hash.</param>
    /// <param name="dataBytes">How many bytes were actually read (the data extents).</param>
    public static string HashFile(string path, out long dataBytes) => HashFile(path, 0, out dataBytes, out _);

    /// <summary>
    /// Hashes the file and, with a positive <paramref name="maxExtents"/>, also gives its runs of non-zero blocks
    /// (<see cref="ContentHashBuilder.Extents"/>): null when the file has more runs than that.
    /// </summary>
    public static string HashFile(string path, int maxExtents, out long dataBytes, out ExtentList? extents)
    {
        using var file = HostFile.Open(path, writable: false);
        long length = file.Length;
        var builder = new ContentHashBuilder(maxExtents);
        // Pooled, and no larger than the file: a tree of thousands of small files hashed one after another must not
        // churn a 4 MiB large-object array per file (the CLI runs in a 256 MiB heap).
        byte[] buf = ArrayPool<byte>.Shared.Rent((int)Math.Min(Chunk, Math.Max(Block, (length + Block - 1) / Block * Block)));
        try
        {
            return HashInto(file, length, builder, buf, out dataBytes, out extents);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    private static string HashInto(HostFile file, long length, ContentHashBuilder builder, byte[] buf, out long dataBytes, out ExtentList? extents)
    {
        int chunk = buf.Length;
        long hashedTo = 0; // the end of the blocks already read
        for (long pos = 0; pos < length;)
        {
            var (isData, run) = file.GetAllocation(pos, length - pos);
            if (run <= 0) break;
            if (isData)
            {
                // Whole blocks around the allocated range, less those a previous range (ending inside a block) read.
                long start = Math.Max(pos / Block * Block, hashedTo);
                long end = Math.Min(length, (pos + run + Block - 1) / Block * Block);
                for (long off = start; off < end;)
                {
                    int n = (int)Math.Min(chunk, end - off);
                    file.Read(off, buf.AsSpan(0, n));
                    builder.Append(off, buf.AsSpan(0, n));
                    off += n;
                }
                hashedTo = Math.Max(hashedTo, end);
            }
            pos += run;
        }
        dataBytes = builder.DataBytes;
        string hash = builder.Finish(length);
        extents = builder.Extents;
        return hash;
    }

    /// <summary>XxHash128 of text (cache keys), as "xxh128:" + hex.</summary>
    public static string HashText(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return Prefix + Convert.ToHexStringLower(XxHash128.Hash(bytes));
    }
}
