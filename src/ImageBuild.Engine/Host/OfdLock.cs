using System.Runtime.InteropServices;

namespace ImageBuild.Engine.Host;

/// <summary>
/// Open-file-description byte locks as qemu's file-posix uses them: shared (read) locks on single bytes,
/// conflicts found by testing with a write lock. OFD locks belong to the open file, so they conflict even
/// between two opens in one process and vanish when that file is closed.
/// </summary>
internal static partial class OfdLock
{
    private const int F_OFD_GETLK = 36;
    private const int F_OFD_SETLK = 37;
    private const short F_RDLCK = 0;
    private const short F_WRLCK = 1;
    private const short F_UNLCK = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Len;
        public int Pid;
        private int _pad;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, ref Flock lk);

    /// <summary>Whether this host has OFD locks (Linux only; probed once per call site, no global state).</summary>
    public static bool Supported(int fd)
    {
        if (!OperatingSystem.IsLinux() || !(RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64))
            return false;
        var lk = new Flock { Type = F_WRLCK, Whence = 0, Start = 0, Len = 1 };
        return Fcntl(fd, F_OFD_GETLK, ref lk) == 0;
    }

    public static bool Lock(int fd, long offset) => Set(fd, offset, F_RDLCK);

    public static bool Unlock(int fd, long offset) => Set(fd, offset, F_UNLCK);

    /// <summary>True when another open file description holds a lock on that byte.</summary>
    public static bool HeldByOther(int fd, long offset)
    {
        var lk = new Flock { Type = F_WRLCK, Whence = 0, Start = offset, Len = 1 };
        if (Fcntl(fd, F_OFD_GETLK, ref lk) != 0)
            return false;
        return lk.Type != F_UNLCK;
    }

    private static bool Set(int fd, long offset, short type)
    {
        var lk = new Flock { Type = type, Whence = 0, Start = offset, Len = 1 };
        return Fcntl(fd, F_OFD_SETLK, ref lk) == 0;
    }
}
