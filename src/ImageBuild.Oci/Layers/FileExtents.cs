using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Oci.Layers;

/// <summary>
/// The allocated ranges of a file, asked of the file system with lseek(SEEK_DATA/SEEK_HOLE), so that the holes of
/// a sparse image are never read. Where the system cannot answer (other platforms, file systems without the
/// seek flags) the whole file counts as data: the answer only saves reading, it never decides the encoding, which
/// depends on the bytes alone (see <see cref="ZeroBlockScanner"/>).
/// </summary>
internal static partial class FileExtents
{
    private const int LinuxSeekData = 3;
    private const int LinuxSeekHole = 4;
    private const int MacSeekHole = 3;
    private const int MacSeekData = 4;
    private const int ENXIO = 6;

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);

    /// <summary>
    /// The ranges of [0, length) that may hold data, in order, non-overlapping. A range is never empty; the bytes
    /// outside every range read as zeros.
    /// </summary>
    public static IEnumerable<DataExtent> Allocated(SafeFileHandle file, long length)
    {
        if (length <= 0) yield break;
        if (!TryGetSeekFlags(out int seekData, out int seekHole))
        {
            yield return new DataExtent(0, length);
            yield break;
        }
        int fd = (int)file.DangerousGetHandle();
        long pos = 0;
        while (pos < length)
        {
            long data = LSeek(fd, pos, seekData);
            if (data < 0)
            {
                if (Marshal.GetLastPInvokeError() == ENXIO) yield break; // no data after pos: the rest is a hole
                yield return new DataExtent(pos, length - pos);        // unsupported here: read it all
                yield break;
            }
            if (data >= length) yield break;
            long hole = LSeek(fd, data, seekHole);
            if (hole < 0 || hole > length) hole = length;
            if (hole <= data) hole = length; // a file system answering nonsense: count the rest as data
            yield return new DataExtent(data, hole - data);
            pos = hole;
        }
    }

    private static bool TryGetSeekFlags(out int seekData, out int seekHole)
    {
        if (OperatingSystem.IsLinux()) { seekData = LinuxSeekData; seekHole = LinuxSeekHole; return true; }
        if (OperatingSystem.IsMacOS()) { seekData = MacSeekData; seekHole = MacSeekHole; return true; }
        seekData = seekHole = 0;
        return false;
    }
}
