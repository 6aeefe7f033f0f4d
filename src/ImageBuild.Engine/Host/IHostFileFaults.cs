namespace ImageBuild.Engine.Host;

/// <summary>What a <see cref="HostFile"/> is about to do to the host file (the changes and the barrier).</summary>
public enum HostFileChange
{
    Write,
    Flush,
    SetLength,
    /// <summary>Punching a hole (or writing zeros) for <see cref="HostFile.ZeroRange"/>.</summary>
    ZeroRange,
    /// <summary>Preallocation (fallocate).</summary>
    Allocate,
    /// <summary>A kernel copy into this file (copy_file_range).</summary>
    CopyRange,
}

/// <summary>
/// Fault injection for host files, after qemu's blkdebug: consulted by <see cref="HostFile"/> before every change it
/// makes to a file and before every flush that is not ignored. An implementation may throw an
/// <see cref="IOException"/> (its HResult an errno, e.g. 5 EIO or 28 ENOSPC), which the host file reports as it reports
/// a real I/O error, or any other exception to stop the program there (a simulated crash). Set through
/// <see cref="Block.ImageContext.HostFaults"/>; tests only: null (nothing consulted) everywhere else.
/// </summary>
public interface IHostFileFaults
{
    void Before(HostFile file, HostFileChange change, long offset, long length);
}
