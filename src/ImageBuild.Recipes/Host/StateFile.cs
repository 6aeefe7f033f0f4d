using System.Runtime.InteropServices;
using ImageBuild.Engine.Host;
using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Recipes.Host;

/// <summary>
/// Opens and creates the runner's own files (the .imagebuild folder, its lock, states, summaries and their
/// temporary files) without ever following a symbolic link: a link planted there (even a dangling one) would
/// otherwise make a run create or overwrite a file outside the output directory. Every refusal is one line
/// naming the path.
/// </summary>
public static partial class StateFile
{
    /// <summary>Creates OUTPUT/.imagebuild if needed and returns it; refuses when it is a link or not a directory.</summary>
    public static string EnsureDirectory(string dir, bool create = true)
    {
        var type = FileKind.Of(dir, followLinks: false);
        if (type == FileType.Missing)
        {
            if (create) Directory.CreateDirectory(dir);
        }
        else if (type != FileType.Directory)
            throw Refused(dir, type);
        return dir;
    }

    /// <summary>Throws when <paramref name="path"/> exists and is not a regular file (a link, FIFO, device...).</summary>
    public static void RefuseNonRegular(string path)
    {
        var type = FileKind.Of(path, followLinks: false);
        if (type is not FileType.Missing and not FileType.Regular)
            throw Refused(path, type);
    }

    /// <summary>
    /// Opens (creating when absent) a lock file read-write with O_NOFOLLOW and takes flock(LOCK_EX|LOCK_NB) on it, as
    /// .NET's FileShare.None does, so runs of older versions still exclude each other.
    /// </summary>
    public static FileStream OpenLock(string path)
    {
        EnsureDirectory(Path.GetDirectoryName(path)!);
        if (!OperatingSystem.IsLinux())
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        RefuseNonRegular(path);
        int fd = Open(path, O_RDWR | O_CREAT | O_CLOEXEC | ONoFollow, 0x1B6 /* 0666 & ~umask */);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ELOOP) throw Refused(path, FileType.SymbolicLink);
            throw new IOException($"cannot open '{path}': {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (FileKind.Of(handle).Type != FileType.Regular)
        {
            handle.Dispose();
            throw new IOException($"refusing to use '{path}': not a regular file");
        }
        if (Flock(fd, LOCK_EX | LOCK_NB) != 0)
        {
            string why = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            handle.Dispose();
            throw new IOException($"The process cannot access the file '{path}' because it is being used by another process ({why}).");
        }
        return new FileStream(handle, FileAccess.ReadWrite);
    }

    /// <summary>
    /// A new temporary file for writing: whatever has the name is removed first (a link is removed, never followed)
    /// and the file is created with O_CREAT|O_EXCL, which fails rather than follow a link raced into its place.
    /// </summary>
    public static FileStream CreateNew(string path)
    {
        File.Delete(path);
        return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
    }

    private static IOException Refused(string path, FileType type) => new(type == FileType.SymbolicLink
        ? $"refusing to use '{path}': it is a symbolic link (the runner never writes through links)"
        : $"refusing to use '{path}': it is {FileKind.Describe(type)}, not a {(Path.GetFileName(path) == ".imagebuild" ? "directory" : "regular file")}");

    private const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000, ELOOP = 40, LOCK_EX = 2, LOCK_NB = 4;

    /// <summary>O_NOFOLLOW: 0400000 on x86_64, 0100000 on aarch64 (and arm).</summary>
    private static int ONoFollow => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
