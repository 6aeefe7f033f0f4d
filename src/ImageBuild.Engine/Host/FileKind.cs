using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Engine.Host;

/// <summary>What a path names, from stat(2)'s st_mode (.NET does not tell FIFOs, devices and sockets from files).</summary>
public enum FileType { Missing, Regular, Directory, SymbolicLink, CharacterDevice, BlockDevice, Fifo, Socket, Other }

/// <summary>
/// stat/lstat/fstat for the questions a careful opener asks before it opens: is this a symbolic link, a FIFO (whose
/// open would block), a device; and is the file opened the one that was checked (st_dev, st_ino).
/// </summary>
public static partial class FileKind
{
    /// <summary>The type of <paramref name="path"/>; the link itself when <paramref name="followLinks"/> is false.</summary>
    public static unsafe FileType Of(string path, bool followLinks)
    {
        if (!OperatingSystem.IsLinux())
            return Fallback(path, followLinks);
        byte* buf = stackalloc byte[256];
        int rc = followLinks ? Stat(path, buf) : LStat(path, buf);
        return rc != 0 ? FileType.Missing : Decode(*(uint*)(buf + ModeOffset));
    }

    /// <summary>The type and identity (st_dev, st_ino) of an open file.</summary>
    public static unsafe (FileType Type, ulong Device, ulong Inode) Of(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
            return (FileType.Regular, 0, 0);
        byte* buf = stackalloc byte[256];
        if (LinuxNative.FStat((int)handle.DangerousGetHandle(), buf) != 0)
            return (FileType.Missing, 0, 0);
        return (Decode(*(uint*)(buf + ModeOffset)), *(ulong*)buf, *(ulong*)(buf + 8));
    }

    /// <summary>The identity (st_dev, st_ino) of the file <paramref name="path"/> names after following links.</summary>
    public static unsafe (ulong Device, ulong Inode) IdentityOf(string path)
    {
        if (!OperatingSystem.IsLinux())
            return (0, 0);
        byte* buf = stackalloc byte[256];
        return Stat(path, buf) != 0 ? (0, 0) : (*(ulong*)buf, *(ulong*)(buf + 8));
    }

    /// <summary>realpath(3): the absolute path with every symbolic link, "." and ".." resolved; null when it does not exist.</summary>
    public static unsafe string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux())
            return Path.Exists(path) ? Path.GetFullPath(path) : null;
        nint p = RealPathNative(path, 0);
        if (p == 0) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { NativeMemory.Free((void*)p); }
    }

    /// <summary>A one-word description for messages ("a FIFO", "a character device"...).</summary>
    public static string Describe(FileType type) => type switch
    {
        FileType.Regular => "a regular file",
        FileType.Directory => "a directory",
        FileType.SymbolicLink => "a symbolic link",
        FileType.CharacterDevice => "a character device",
        FileType.BlockDevice => "a block device",
        FileType.Fifo => "a FIFO",
        FileType.Socket => "a socket",
        FileType.Missing => "missing",
        _ => "not a regular file",
    };

    // st_dev and st_ino lead struct stat on both; st_mode follows st_nlink (8 bytes) on x86_64 and precedes it on
    // the generic layout (aarch64 and the other 64-bit ports).
    private static int ModeOffset => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;

    /// <summary>The file type an st_mode (S_IFMT bits) names.</summary>
    public static FileType Decode(uint mode) => (mode & 0xF000) switch
    {
        0x8000 => FileType.Regular,
        0x4000 => FileType.Directory,
        0xA000 => FileType.SymbolicLink,
        0x2000 => FileType.CharacterDevice,
        0x6000 => FileType.BlockDevice,
        0x1000 => FileType.Fifo,
        0xC000 => FileType.Socket,
        _ => FileType.Other,
    };

    private static FileType Fallback(string path, bool followLinks)
    {
        var info = new FileInfo(path);
        if (!followLinks && info.LinkTarget is not null) return FileType.SymbolicLink;
        if (Directory.Exists(path)) return FileType.Directory;
        return File.Exists(path) ? FileType.Regular : FileType.Missing;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Stat(string path, byte* statBuffer);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int LStat(string path, byte* statBuffer);
}
