using System.Buffers.Binary;
using System.IO.Hashing;
using ImageBuild.Engine.Host;

namespace ImageBuild.Recipes.Cache;

/// <summary>
/// Hashes a file's logical content with XxHash128, reading only its data extents (SEEK_DATA/SEEK_HOLE): the file
/// is cut into 4 KiB blocks; every block that is not all zeroes contributes its index and bytes, and the file
/// length closes the hash. So the hash depends on the bytes alone — not on which zero ranges happen to be holes
/// on this file system — and a mostly-sparse image of many GiB hashes in the time it takes to read its data.
/// Written "xxh128:" + 32 hex digits.
/// </summary>
public static class ContentHasher
{
    public const string Prefix = "xxh128:";
    private const int Block = 4096;
    private const int Chunk = 4 << 20;

    public static string HashFile(string path) => HashFile(path, out _);

    /// <param name="path">File to hash.</param>
    /// <param name="dataBytes">How many bytes were actually read (the data extents).</param>
    public static string HashFile(string path, out long dataBytes)
    {
        using var file = HostFile.Open(path, writable: false);
        long length = file.Length;
        var hash = new XxHash128();
        byte[] buf = GC.AllocateUninitializedArray<byte>(Chunk);
        Span<byte> index = stackalloc byte[8];
        long nextBlock = 0; // first block not yet hashed
        dataBytes = 0;
        for (long pos = 0; pos < length;)
        {
            var (isData, run) = file.GetAllocation(pos, length - pos);
            if (run <= 0) break;
            if (isData)
            {
                long start = Math.Max(pos / Block, nextBlock) * Block;
                long end = Math.Min(length, (pos + run + Block - 1) / Block * Block);
                for (long off = start; off < end;)
                {
                    int n = (int)Math.Min(Chunk, end - off);
                    file.Read(off, buf.AsSpan(0, n));
                    dataBytes += n;
                    for (int b = 0; b < n; b += Block)
                    {
                        var block = buf.AsSpan(b, Math.Min(Block, n - b));
                        if (!block.ContainsAnyExcept((byte)0))
                            continue;
                        BinaryPrimitives.WriteInt64LittleEndian(index, (off + b) / Block);
                        hash.Append(index);
                        hash.Append(block);
                    }
                    off += n;
                }
                nextBlock = end / Block + (end % Block == 0 ? 0 : 1);
            }
            pos += run;
        }
        BinaryPrimitives.WriteInt64LittleEndian(index, length);
        hash.Append(index);
        return Prefix + Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>XxHash128 of text (cache keys), as "xxh128:" + hex.</summary>
    public static string HashText(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return Prefix + Convert.ToHexStringLower(XxHash128.Hash(bytes));
    }
}
