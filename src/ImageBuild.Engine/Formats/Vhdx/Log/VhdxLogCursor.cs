using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// Reads the log's 4 KiB sectors by index, wrapping at the end of the circular buffer (VHDX 1.0 §2.3), through a
/// window of up to 1 MiB so a scan reads the log sequentially rather than a sector per syscall. Sectors past the end
/// of the file read as zeros (no valid structure starts there).
/// </summary>
internal sealed class VhdxLogCursor
{
    private const int WindowSize = 1 << 20;

    private readonly HostFile _file;
    private readonly VhdxLogRegion _region;
    private readonly byte[] _window;
    private long _windowStart = -1;
    private int _windowLength;

    public VhdxLogCursor(HostFile file, VhdxLogRegion region)
    {
        _file = file;
        _region = region;
        SectorCount = (int)(region.Length / VhdxLogLayout.SectorSize);
        _window = new byte[(int)Math.Min(WindowSize, region.Length)];
    }

    /// <summary>Sectors in the circular buffer.</summary>
    public int SectorCount { get; }

    /// <summary>The index <paramref name="steps"/> sectors after <paramref name="index"/>, wrapping.</summary>
    public int Advance(int index, long steps) => (int)((index + steps % SectorCount) % SectorCount);

    /// <summary>Log offset (bytes from the log's start) of a sector, for messages and Tail fields.</summary>
    public static long LogOffset(int index) => (long)index * VhdxLogLayout.SectorSize;

    /// <summary>The sector at <paramref name="index"/> (valid until the next call).</summary>
    public ReadOnlySpan<byte> Sector(int index)
    {
        long offset = LogOffset(index);
        if (offset < _windowStart || offset + VhdxLogLayout.SectorSize > _windowStart + _windowLength)
        {
            long start = offset / _window.Length * _window.Length;
            int length = (int)Math.Min(_window.Length, _region.Length - start);
            _file.Read(_region.Offset + start, _window.AsSpan(0, length));
            _windowStart = start;
            _windowLength = length;
        }
        return _window.AsSpan((int)(offset - _windowStart), VhdxLogLayout.SectorSize);
    }
}
