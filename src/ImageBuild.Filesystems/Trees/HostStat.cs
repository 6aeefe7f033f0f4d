using System.Runtime.InteropServices;
using ImageBuild.Engine.Host;

namespace ImageBuild.Filesystems.Trees;

/// <summary>
/// What a scan needs to know of one host path without following a symbolic link: its type, permission bits and
/// owner. On Linux this is statx(2) with AT_SYMLINK_NOFOLLOW, whose struct statx has one layout on every
/// architecture; elsewhere the type comes from <see cref="FileKind"/> and the owner is unknown.
/// </summary>
internal static partial class HostStat
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    internal readonly record struct Info(FileType Type, int Mode, int Uid, int Gid);

    public static unsafe Info Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            var type = FileKind.Of(path, followLinks: false);
            int mode = type is FileType.Missing or FileType.SymbolicLink ? 0b111_111_111
                : OperatingSystem.IsWindows() ? (type == FileType.Directory ? 0b111_101_101 : 0b110_100_100)
                : (int)File.GetUnixFileMode(path);
            return new Info(type, mode, 0, 0);
        }
        byte* buf = stackalloc byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buf) != 0)
            throw new IOException($"'{path}': cannot stat it ({Marshal.GetLastPInvokeErrorMessage()})");
        // struct statx: stx_uid at 20, stx_gid at 24, stx_mode (u16) at 28.
        int stMode = *(ushort*)(buf + 28);
        var kind = FileKind.Decode((uint)stMode);
        return new Info(kind, stMode & 0xFFF, (int)*(uint*)(buf + 20), (int)*(uint*)(buf + 24));
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* statxBuffer);
}
