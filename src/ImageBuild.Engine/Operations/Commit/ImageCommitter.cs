using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img commit: writes everything the top (and any intermediate layers) allocate above the base into
/// the base, growing the base when it is smaller, then empties the top unless told not to. The chain reads
/// the same before and after.
/// </summary>
public static class ImageCommitter
{
    /// <summary>qemu's COMMIT_BUFFER_SIZE.</summary>
    private const int BufferSize = 512 * 1024;

    public static void Commit(ImageContext context, CommitRequest request)
    {
        using var top = ImageOpener.Open(context, request.Filename,
            new OpenOptions { Format = request.Format, Writable = true, BackingWritable = true, Unmap = true });
        if (top.Backing is null)
            throw new ImageException("Image does not have a backing file");

        BlockDevice baseDev = request.Base is null
            ? top.Backing
            : FindInChain(top, request.Base)
              ?? throw new ImageException($"Did not find '{request.Base}' in the backing chain of '{request.Filename}'");
        bool drop = request.Drop || request.Base is not null;

        long size = top.VirtualSize;
        if (baseDev.VirtualSize < size)
            baseDev.Resize(size, Preallocation.Off);

        try
        {
            CopyDown(top, baseDev, size, request);
        }
        catch (ImageException e)
        {
            throw new ImageException($"Block job failed: {e.Message}", e); // how qemu-img reports any error of its commit job
        }

        if (!drop)
            top.MakeEmpty();
        top.Flush();
    }

    /// <summary>The commit job: what the layers above the base allocate, written into the base.</summary>
    private static void CopyDown(BlockDevice top, BlockDevice baseDev, long size, CommitRequest request)
    {
        request.Progress?.Invoke(0);
        byte[] buf = GC.AllocateUninitializedArray<byte>(BufferSize);
        var limiter = new RateLimiter(request.RateLimit);
        for (long off = 0; off < size;)
        {
            BlockStatus st = BlockLayer.GetStatusAbove(top, baseDev, off, Math.Min(BufferSize, size - off));
            long n = st.Length;
            if (st.IsAllocated)
            {
                if (st.IsZero && !st.IsData)
                {
                    baseDev.WriteZeroes(off, n, WriteZeroesFlags.MayUnmap);
                }
                else
                {
                    var span = buf.AsSpan(0, (int)n);
                    top.Read(off, span);
                    baseDev.Write(off, span);
                    limiter.Consume(n);
                }
            }
            off += n;
            request.Progress?.Invoke(100.0 * off / size);
        }
        baseDev.Flush();
    }

    /// <summary>qemu's bdrv_find_backing_image: a chain member whose (given or resolved) filename matches.</summary>
    internal static BlockDevice? FindInChain(BlockDevice top, string name)
    {
        string wanted = Full(name);
        for (BlockDevice? p = top.Backing; p is not null; p = p.Backing)
            if (p.Filename == name || Full(p.Filename) == wanted)
                return p;
        return null;
    }

    private static string Full(string path)
    {
        try { return Path.GetFullPath(path); }
        catch (ArgumentException) { return path; }
    }
}
