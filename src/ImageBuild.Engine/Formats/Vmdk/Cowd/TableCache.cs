using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk.Cowd;

/// <summary>
/// A bounded cache of fixed-size tables read from an extent file, keyed by their host offset, evicting the least
/// used one like qemu's 16-entry L2 cache (hit counts, halved when one saturates). Used for grain tables and for the
/// pages of a grain directory, so that no table is read twice in a row and memory stays
/// <c>tableBytes * capacity</c> whatever the header says. Bytes past the end of the file read as zeros, as qemu's
/// reads on the file protocol do.
/// </summary>
internal sealed class TableCache
{
    private readonly HostFile _file;
    private readonly int _tableBytes;
    private readonly long[] _offsets;
    private readonly uint[] _counts;
    private readonly byte[]?[] _tables;

    public TableCache(HostFile file, int tableBytes, int capacity)
    {
        _file = file;
        _tableBytes = tableBytes;
        _offsets = new long[capacity];
        _counts = new uint[capacity];
        _tables = new byte[]?[capacity];
    }

    /// <summary>The table at <paramref name="hostOffset"/>, which the caller has checked to be a readable range.</summary>
    public ReadOnlySpan<byte> Get(long hostOffset)
    {
        for (int i = 0; i < _tables.Length; i++)
        {
            if (_tables[i] is { } hit && _offsets[i] == hostOffset)
            {
                if (++_counts[i] == uint.MaxValue)
                    for (int j = 0; j < _counts.Length; j++) _counts[j] >>= 1;
                return hit;
            }
        }
        int victim = 0;
        uint least = uint.MaxValue;
        for (int i = 0; i < _tables.Length; i++)
        {
            if (_tables[i] is null) { victim = i; break; }
            if (_counts[i] < least) { least = _counts[i]; victim = i; }
        }
        byte[] table = _tables[victim] ?? new byte[_tableBytes];
        _tables[victim] = null; // a failed read leaves no half-filled table behind
        _file.Read(hostOffset, table);
        _tables[victim] = table;
        _offsets[victim] = hostOffset;
        _counts[victim] = 1;
        return table;
    }

    /// <summary>
    /// Whether qemu's block layer accepts a read of <paramref name="bytes"/> at <paramref name="offset"/>
    /// (bdrv_check_request: not negative, the end not past BDRV_MAX_LENGTH); it fails others with EIO.
    /// </summary>
    public static bool IsReadable(long offset, long bytes) =>
        offset >= 0 && offset <= BlockLimits.MaxLength && bytes <= BlockLimits.MaxLength - offset;
}
