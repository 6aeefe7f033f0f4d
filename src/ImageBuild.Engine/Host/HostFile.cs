using System.ComponentModel;
using System.Runtime.InteropServices;
using ImageBuild.Engine.Info;
using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Engine.Host;

/// <summary>
/// The "file" protocol layer: positioned I/O on a host file (RandomAccess), with sparse-file awareness
/// (SEEK_DATA/SEEK_HOLE to find holes, hole punching for zero writes). Thread-safe for concurrent
/// positioned reads and writes to disjoint ranges.
/// </summary>
public sealed class HostFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly IHostFileFaults? _faults;
    private bool _seekHoleUnsupported;

    private HostFile(string path, SafeFileHandle handle, bool writable, IHostFileFaults? faults)
    {
        Path = path;
        _handle = handle;
        Writable = writable;
        _faults = faults;
        Lock = new ImageLock(this);
    }

    /// <summary>qemu-compatible lock bytes held through this open file.</summary>
    public ImageLock Lock { get; }

    /// <summary>The filename as given by the user (used in messages).</summary>
    public string Path { get; }
    public bool Writable { get; }
    public SafeFileHandle Handle => _handle;

    /// <param name="path">The file.</param>
    /// <param name="writable">Open for writing.</param>
    /// <param name="faults">Fault injection (tests; <see cref="Block.ImageContext.HostFaults"/>), null for none.</param>
    public static HostFile Open(string path, bool writable, IHostFileFaults? faults = null)
    {
        if (path.Length == 0)
            throw new ImageException("The 'file' block driver requires a file name");
        try
        {
            var handle = File.OpenHandle(path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read,
                FileShare.ReadWrite | FileShare.Delete, FileOptions.None);
            return new HostFile(path, handle, writable, faults);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"Could not open '{path}': {Describe(e)}", e);
        }
    }

    /// <summary>
    /// Creates a file or empties an existing one, as qemu's file protocol does on image creation: the file is
    /// opened without truncation, checked against qemu's locks (write and resize must be free), and only then
    /// truncated, so an image another process is using is never destroyed.
    /// </summary>
    public static HostFile Create(string path, IHostFileFaults? faults = null)
    {
        if (path.Length == 0)
            throw new ImageException("Could not create '': No such file or directory"); // open("") is ENOENT
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"Could not create '{path}': {Describe(e)}", e);
        }
        var file = new HostFile(path, handle, true, faults);
        try
        {
            file.Lock.Apply(new LockRequest(BlockPermission.Write | BlockPermission.Resize, BlockPermission.All & ~BlockPermission.Resize));
            file.Lock.Release();
            file.SetLength(0);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public long Length => RandomAccess.GetLength(_handle);

    /// <summary>Host allocation in bytes (st_blocks * 512), or -1 when the host cannot tell.</summary>
    public long AllocatedBytes => LinuxNative.IsLinux ? LinuxNative.AllocatedBytes(Fd) : Length;

    internal int Fd => (int)_handle.DangerousGetHandle();

    /// <summary>Reads exactly dest.Length bytes; bytes past the end of the file read as zero.</summary>
    public void Read(long offset, Span<byte> dest)
    {
        if (!IsValidRange(offset, dest.Length))
            throw new ImageException($"error while reading '{Path}' at offset {offset}: Invalid argument");
        int done = 0;
        while (done < dest.Length)
        {
            int n;
            try { n = RandomAccess.Read(_handle, dest[done..], offset + done); }
            catch (IOException e) { throw new ImageException($"error while reading '{Path}' at offset {offset + done}: {Describe(e)}", e); }
            if (n == 0)
            {
                dest[done..].Clear();
                return;
            }
            done += n;
        }
    }

    /// <summary>
    /// The largest single write(2): a larger buffer is written in pieces of this size. Measured with 1.8 GiB of data
    /// into a new sparse file (dd conv=sparse, 8 alternating runs): medians 0.52 s for 128 KiB writes, 0.52 s for
    /// 256 KiB, 2.68 s for 2 MiB, where the kernel fills each write with fresh page-cache memory in one piece (on a
    /// virtual machine that returns free memory to its host, that memory must first come back); cp writes 128 KiB.
    /// </summary>
    private const int MaxWrite = 256 << 10;

    public void Write(long offset, ReadOnlySpan<byte> src)
    {
        if (!IsValidRange(offset, src.Length))
            throw new ImageException($"error while writing '{Path}' at offset {offset}: Invalid argument");
        try
        {
            _faults?.Before(this, HostFileChange.Write, offset, src.Length);
            for (int done = 0; done < src.Length;)
            {
                int n = Math.Min(MaxWrite, src.Length - done);
                RandomAccess.Write(_handle, src.Slice(done, n), offset + done);
                done += n;
            }
        }
        catch (ArgumentOutOfRangeException e) // .NET's EFBIG: past the filesystem's largest file
        {
            throw new ImageException($"error while writing '{Path}' at offset {offset}: File too large", e) { Errno = SnapshotException.EFBIG };
        }
        catch (IOException e) { throw new ImageException($"error while writing '{Path}' at offset {offset}: {Describe(e)}", e); }
    }

    /// <summary>ftruncate; a negative length is EINVAL and one past the filesystem's limit EFBIG, as in qemu's file-posix.</summary>
    public void SetLength(long length)
    {
        if (length < 0)
            throw new ImageException("Could not resize file: Invalid argument") { Errno = SnapshotException.EINVAL };
        try
        {
            _faults?.Before(this, HostFileChange.SetLength, length, 0);
            RandomAccess.SetLength(_handle, length);
        }
        catch (ArgumentOutOfRangeException e) // .NET's EFBIG
        {
            throw new ImageException("Could not resize file: File too large", e) { Errno = SnapshotException.EFBIG };
        }
        catch (IOException e) { throw new ImageException($"Could not resize '{Path}' to {length}: {Describe(e)}", e); }
    }

    /// <summary>qemu's cache=unsafe: flushes are ignored (convert's default for its target).</summary>
    public bool FlushIgnored { get; set; }

    /// <summary>Makes everything written so far durable (fsync), unless <see cref="FlushIgnored"/>.</summary>
    public void Flush()
    {
        if (FlushIgnored) return;
        try
        {
            _faults?.Before(this, HostFileChange.Flush, 0, 0);
            RandomAccess.FlushToDisk(_handle);
        }
        catch (IOException e) { throw new ImageException($"error while flushing '{Path}': {Describe(e)}", e); }
    }

    /// <summary>
    /// Makes [offset, offset+length) read as zeros, deallocating it where the host allows
    /// (hole punch); falls back to writing zeros. Never changes the file length.
    /// </summary>
    public void ZeroRange(long offset, long length, bool deallocate = true)
    {
        if (length <= 0) return;
        Inject(HostFileChange.ZeroRange, offset, length);
        if (deallocate && LinuxNative.IsLinux &&
            LinuxNative.FAllocate(Fd, LinuxNative.FALLOC_FL_PUNCH_HOLE | LinuxNative.FALLOC_FL_KEEP_SIZE, offset, length) == 0)
            return;
        long end = Math.Min(offset + length, Math.Max(Length, offset));
        if (end <= offset)
            return; // entirely past EOF: already reads as zero
        WriteZeros(offset, end - offset);
    }

    /// <summary>
    /// Copies [offset, offset+length) of this file to <paramref name="targetOffset"/> in <paramref name="target"/>
    /// inside the kernel (copy_file_range: no copy through user space; a reflink where the filesystem shares
    /// extents). Returns false, having copied nothing, when the kernel or filesystem cannot do it (ENOSYS, EXDEV,
    /// EOPNOTSUPP, EINVAL, EBADF): the caller then copies the ordinary way, as qemu falls back. Bytes past the end of
    /// this file read as zeros.
    /// </summary>
    public unsafe bool TryCopyRangeTo(long offset, HostFile target, long targetOffset, long length)
    {
        if (!LinuxNative.IsLinux) return false;
        target.Inject(HostFileChange.CopyRange, targetOffset, length);
        long fileLength = Length;
        long copied = 0;
        while (copied < length)
        {
            long inOff = offset + copied, outOff = targetOffset + copied;
            if (inOff >= fileLength)
            {
                target.WriteZeros(outOff, length - copied);
                return true;
            }
            long want = Math.Min(length - copied, fileLength - inOff);
            nint n = LinuxNative.CopyFileRange(Fd, &inOff, target.Fd, &outOff, (nuint)Math.Min(want, 1L << 30), 0);
            if (n < 0)
            {
                int err = Marshal.GetLastPInvokeError();
                if (copied == 0 && err is LinuxNative.ENOSYS or LinuxNative.EXDEV or LinuxNative.EOPNOTSUPP or LinuxNative.EINVAL or LinuxNative.EBADF)
                    return false;
                throw new ImageException($"error while copying '{Path}' at offset {offset + copied} to '{target.Path}': {new Win32Exception(err).Message}");
            }
            if (n == 0)
            {
                fileLength = Length; // the source shrank under us: the rest reads as zeros
                if (inOff < fileLength)
                    throw new ImageException($"error while copying '{Path}' at offset {offset + copied}: copy_file_range made no progress");
                continue;
            }
            copied += n;
        }
        return true;
    }

    /// <summary>Preallocates [offset, offset+length) (posix_fallocate); extends the file if needed.</summary>
    public void Allocate(long offset, long length)
    {
        if (length <= 0) return;
        Inject(HostFileChange.Allocate, offset, length);
        if (LinuxNative.IsLinux && LinuxNative.FAllocate(Fd, 0, offset, length) == 0)
            return;
        WriteZeros(offset, length);
    }

    public void WriteZeros(long offset, long length)
    {
        byte[] zeros = ZeroBuffer.Get();
        while (length > 0)
        {
            int n = (int)Math.Min(length, zeros.Length);
            Write(offset, zeros.AsSpan(0, n));
            offset += n;
            length -= n;
        }
    }

    /// <summary>
    /// Whether [offset, ...) starts with data or a hole, and how long that run is (capped at maxLength
    /// and at the end of the file; past EOF everything is a hole).
    /// </summary>
    public (bool IsData, long Length) GetAllocation(long offset, long maxLength)
    {
        long fileLength = Length;
        if (offset >= fileLength)
            return (false, maxLength);
        long limit = Math.Min(maxLength, fileLength - offset);
        if (_seekHoleUnsupported || !LinuxNative.IsLinux)
            return (true, limit);

        long data = LinuxNative.LSeek(Fd, offset, LinuxNative.SEEK_DATA);
        if (data < 0)
        {
            int err = Marshal.GetLastPInvokeError();
            if (err == LinuxNative.ENXIO) // no data after offset: trailing hole
                return (false, maxLength);
            _seekHoleUnsupported = true;
            return (true, limit);
        }
        if (data > offset)
            return (false, Math.Min(maxLength, data - offset));
        long hole = LinuxNative.LSeek(Fd, offset, LinuxNative.SEEK_HOLE);
        if (hole < 0)
            return (true, limit);
        return (true, Math.Min(limit, hole - offset));
    }

    /// <summary>
    /// pread/pwrite refuse a negative offset or one whose end overflows (EINVAL); .NET throws ArgumentOutOfRangeException
    /// instead, which a hostile image's table offset (a qcow2 entry with bit 63 set) must not turn into a crash.
    /// </summary>
    private static bool IsValidRange(long offset, int length) => offset >= 0 && offset <= long.MaxValue - length;

    /// <summary>Consults the fault injection for a change made outside <see cref="Write"/> (reported as a write error).</summary>
    private void Inject(HostFileChange change, long offset, long length)
    {
        if (_faults is null) return;
        try { _faults.Before(this, change, offset, length); }
        catch (IOException e) { throw new ImageException($"error while writing '{Path}' at offset {offset}: {Describe(e)}", e); }
    }

    public void Dispose() => _handle.Dispose();

    internal static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        IOException io when io.HResult == 28 || io.Message.Contains("No space", StringComparison.Ordinal) => "No space left on device",
        Win32Exception w => w.Message,
        _ => e.Message,
    };
}

/// <summary>A shared, never-written buffer of zeros.</summary>
public static class ZeroBuffer
{
    private static readonly byte[] Zeros = new byte[1 << 20];
    public static byte[] Get() => Zeros;
    public static ReadOnlySpan<byte> Span(int length) => Zeros.AsSpan(0, length);
}
