using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Operations;

internal enum ChunkStatus
{
    /// <summary>Read from the source and write (sparse detection may still skip zeros).</summary>
    Data,
    /// <summary>Reads as zero: skip on a zero-initialised target, else write zeroes.</summary>
    Zero,
    /// <summary>Leave unallocated so the target's backing file shows through.</summary>
    Backing,
}

/// <summary>
/// Walks the concatenated sources by block status in qemu-img's chunks (convert_iteration_sectors):
/// a status query answers for a run, which is then handed out in pieces of at most one buffer for data.
/// </summary>
internal sealed class ConvertPlanner
{
    /// <summary>qemu's BDRV_REQUEST_MAX_SECTORS, in bytes (rounded to 512).</summary>
    private const long MaxRequest = (int.MaxValue >> 9) * 512L;

    private readonly SourceSet _sources;
    private readonly bool _targetHasBacking;
    private readonly long _targetBackingSize;
    private readonly int _bufferSize;
    private long _nextStatusAt;
    private ChunkStatus _status;

    private readonly long _compressedCluster;

    /// <param name="sources">The concatenated sources.</param>
    /// <param name="targetHasBacking">Unallocated source ranges are left to the target's backing file.</param>
    /// <param name="targetBackingSize">Size of the target's backing file (zeros past it stay unallocated), or -1.</param>
    /// <param name="bufferSize">Largest data chunk.</param>
    /// <param name="compressedCluster">For compressed output, the target's cluster size (whole clusters only); else 0.</param>
    public ConvertPlanner(SourceSet sources, bool targetHasBacking, long targetBackingSize, int bufferSize, long compressedCluster = 0)
    {
        _sources = sources;
        _targetHasBacking = targetHasBacking;
        _targetBackingSize = targetBackingSize;
        _bufferSize = bufferSize;
        _compressedCluster = compressedCluster;
    }

    public void Reset() => _nextStatusAt = 0;

    /// <summary>The next chunk starting at <paramref name="offset"/>: its length and status.</summary>
    public (long Length, ChunkStatus Status) Next(long offset)
    {
        long total = _sources.TotalSize;
        long n = Math.Min(total - offset, MaxRequest);
        bool postBackingZero = false;
        if (_targetBackingSize >= 0)
        {
            if (offset >= _targetBackingSize)
                postBackingZero = true;
            else if (offset + n > _targetBackingSize)
                n = _targetBackingSize - offset;
        }

        if (_nextStatusAt <= offset)
        {
            var (dev, local, remaining) = _sources.Locate(offset);
            long count = Math.Min(n, remaining);
            BlockStatusFlags flags;
            if (local >= dev.VirtualSize)
            {
                flags = BlockStatusFlags.Zero; // the sector-rounded tail of a source whose size is not a multiple of 512
            }
            else
            {
                BlockStatus st = _targetHasBacking
                    ? BlockLayer.GetStatus(dev, local, count)
                    : BlockLayer.GetStatusAbove(dev, null, local, count);
                count = st.Length;
                flags = st.Flags;
            }
            n = (count + 511) & ~511L;
            if ((flags & BlockStatusFlags.Zero) != 0)
                _status = postBackingZero ? ChunkStatus.Backing : ChunkStatus.Zero;
            else if ((flags & BlockStatusFlags.Data) != 0)
                _status = ChunkStatus.Data;
            else
                _status = _targetHasBacking ? ChunkStatus.Backing : ChunkStatus.Data;
            _nextStatusAt = offset + n;
        }

        n = Math.Min(n, _nextStatusAt - offset);
        if (_status == ChunkStatus.Data)
            n = Math.Min(n, _bufferSize);

        // Compressed clusters are written whole: a run shorter than a cluster makes the whole cluster data.
        ChunkStatus status = _status;
        if (_compressedCluster > 0)
        {
            if (n < _compressedCluster)
            {
                n = Math.Min(_compressedCluster, total - offset);
                status = ChunkStatus.Data;
            }
            else
            {
                n -= n % _compressedCluster;
            }
        }
        return (n, status);
    }
}
