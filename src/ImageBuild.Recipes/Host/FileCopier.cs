using ImageBuild.Engine.Host;
using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Recipes.Host;

/// <summary>How a copy was made.</summary>
public enum CopyMethod
{
    /// <summary>FICLONE: the copy shares the source's extents (instant, no space used).</summary>
    Reflink,
    /// <summary>Only the source's data extents were read and written; holes stay holes.</summary>
    Sparse,
}

/// <summary>
/// Copies an image file cheaply so a step can change its own copy and leave its input alone: a reflink where the
/// file system offers one, else a sparse-aware copy (SEEK_DATA/SEEK_HOLE) that writes only data and keeps holes.
/// Byte-for-byte the same result either way.
/// </summary>
public static class FileCopier
{
    private const int Chunk = 4 << 20;

    public static CopyMethod Copy(string source, string destination)
    {
        using var src = HostFile.Open(source, writable: false);
        // A fresh file: a link left at the destination is removed, and O_EXCL never follows one raced into place.
        File.Delete(destination);
        using SafeFileHandle dst = File.OpenHandle(destination, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        if (OperatingSystem.IsLinux() &&
            NativeMethods.IoctlClone((int)dst.DangerousGetHandle(), NativeMethods.FICLONE, (int)src.Handle.DangerousGetHandle()) == 0)
            return CopyMethod.Reflink;

        long length = src.Length;
        byte[] buf = GC.AllocateUninitializedArray<byte>(Chunk);
        for (long pos = 0; pos < length;)
        {
            var (isData, run) = src.GetAllocation(pos, length - pos);
            if (run <= 0) break;
            if (isData)
            {
                for (long off = pos, end = pos + run; off < end;)
                {
                    int n = (int)Math.Min(Chunk, end - off);
                    src.Read(off, buf.AsSpan(0, n));
                    RandomAccess.Write(dst, buf.AsSpan(0, n), off);
                    off += n;
                }
            }
            pos += run;
        }
        RandomAccess.SetLength(dst, length);
        return CopyMethod.Sparse;
    }
}
