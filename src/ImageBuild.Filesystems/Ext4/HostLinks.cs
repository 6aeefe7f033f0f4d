using System.Runtime.InteropServices;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// The Linux calls staging needs that .NET does not offer: link(2), statx(2) for a file's identity (device and inode
/// number, without following a symbolic link) and llistxattr(2) to see whether a file carries extended attributes.
/// </summary>
internal static partial class HostLinks
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int SIfMt = 0xF000, SIfReg = 0x8000;
    public const int EPERM = 1, EACCES = 13, EXDEV = 18, EMLINK = 31, ENOTSUP = 95;

    /// <summary>A host file's identity and what staging checks of it.</summary>
    public readonly record struct Identity(ulong Device, ulong Inode, long Size, bool IsRegular);

    public static unsafe Identity Stat(string path)
    {
        byte* buf = stackalloc byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buf) != 0)
            throw new IOException($"'{path}': cannot stat it ({Marshal.GetLastPInvokeErrorMessage()})");
        // struct statx: stx_mode u16 at 28, stx_ino at 32, stx_size at 40, stx_dev_major/minor at 136/140.
        int mode = *(ushort*)(buf + 28);
        ulong device = (ulong)*(uint*)(buf + 136) << 32 | *(uint*)(buf + 140);
        return new Identity(device, *(ulong*)(buf + 32), *(long*)(buf + 40), (mode & SIfMt) == SIfReg);
    }

    /// <summary>link(2): 0, or the errno.</summary>
    public static int TryLink(string existing, string newPath) =>
        Link(existing, newPath) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Whether the file (not following a symbolic link) has extended attributes; an error counts as yes.</summary>
    public static unsafe bool HasExtendedAttributes(string path)
    {
        nint n = LListXattr(path, null, 0);
        return n != 0 && !(n < 0 && Marshal.GetLastPInvokeError() == ENOTSUP);
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* statxBuffer);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "llistxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial nint LListXattr(string path, byte* list, nuint size);
}
