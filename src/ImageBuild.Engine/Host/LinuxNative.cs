using System.Runtime.InteropServices;

namespace ImageBuild.Engine.Host;

/// <summary>
/// The few libc calls .NET does not expose: sparse-file queries, hole punching, st_blocks, OFD locks, in-kernel copies.
/// </summary>
internal static partial class LinuxNative
{
    public const int SEEK_DATA = 3;
    public const int SEEK_HOLE = 4;
    public const int FALLOC_FL_KEEP_SIZE = 0x01;
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;
    public const int FALLOC_FL_ZERO_RANGE = 0x10;
    public const int ENXIO = 6;
    public const int EOPNOTSUPP = 95;
    public const int EBADF = 9, EINVAL = 22, EXDEV = 18, ENOSYS = 38;

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int FAllocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    public static unsafe partial nint CopyFileRange(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    public static unsafe partial int FStat(int fd, byte* statBuffer);

    public static bool IsLinux => OperatingSystem.IsLinux();

    /// <summary>st_blocks lives at byte 64 of struct stat on both x86_64 and aarch64 glibc.</summary>
    public static unsafe long AllocatedBytes(int fd)
    {
        byte* buf = stackalloc byte[256];
        if (FStat(fd, buf) != 0)
            return -1;
        return *(long*)(buf + 64) * 512;
    }
}
