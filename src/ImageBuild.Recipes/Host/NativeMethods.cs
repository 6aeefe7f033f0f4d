using System.Runtime.InteropServices;

namespace ImageBuild.Recipes.Host;

internal static partial class NativeMethods
{
    /// <summary>_IOW(0x94, 9, int): share the source's extents with the destination (btrfs, xfs, bcachefs...).</summary>
    public const uint FICLONE = 0x40049409;

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoctlClone(int fd, nuint request, int srcFd);
}
