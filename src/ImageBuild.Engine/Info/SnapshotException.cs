namespace ImageBuild.Engine.Info;

/// <summary>
/// A snapshot operation failed inside the format driver: <see cref="ImageException.Errno"/> is the errno qemu's
/// driver returns, the message the reason its error object carries, and <see cref="ReportedFirst"/> the lines qemu
/// prints on its own before the final message (e.g. a failed resize while reverting).
/// </summary>
public sealed class SnapshotException : ImageException
{
    public SnapshotException(string reason, int errno, IReadOnlyList<string>? reportedFirst = null) : base(reason)
    {
        Errno = errno;
        ReportedFirst = reportedFirst ?? [];
    }

    public IReadOnlyList<string> ReportedFirst { get; }

    public const int ENOENT = 2, EIO = 5, EACCES = 13, EBUSY = 16, EEXIST = 17, EINVAL = 22, EFBIG = 27, ENOSPC = 28, ERANGE = 34, ENOTSUP = 95;

    /// <summary>glibc's strerror text for the errnos snapshot operations return.</summary>
    public static string StrError(int errno) => errno switch
    {
        ENOENT => "No such file or directory",
        EIO => "Input/output error",
        EACCES => "Permission denied",
        EBUSY => "Device or resource busy",
        EEXIST => "File exists",
        EINVAL => "Invalid argument",
        EFBIG => "File too large",
        ENOSPC => "No space left on device",
        ERANGE => "Numerical result out of range",
        ENOTSUP => "Operation not supported",
        _ => $"Unknown error {errno}",
    };
}
