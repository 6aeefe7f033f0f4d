using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Operations;

/// <summary>Several source images seen as one concatenated byte range (convert with several sources).</summary>
internal sealed class SourceSet : IDisposable
{
    private readonly List<BlockDevice> _devices;
    private readonly long[] _starts;
    private readonly long[] _sizes;

    public SourceSet(List<BlockDevice> devices)
    {
        _devices = devices;
        _starts = new long[devices.Count];
        _sizes = new long[devices.Count];
        long pos = 0;
        for (int i = 0; i < devices.Count; i++)
        {
            _starts[i] = pos;
            _sizes[i] = Sectors.RoundUp(devices[i].VirtualSize);
            pos += _sizes[i];
        }
        TotalSize = pos;
    }

    public long TotalSize { get; }

    public IReadOnlyList<BlockDevice> Devices => _devices;

    /// <summary>The source holding <paramref name="offset"/> and the offset within it.</summary>
    public (BlockDevice Device, long Local, long Remaining) Locate(long offset)
    {
        int i = Array.BinarySearch(_starts, offset);
        if (i < 0) i = ~i - 1;
        while (i < _devices.Count - 1 && offset - _starts[i] >= _sizes[i]) i++;
        long local = offset - _starts[i];
        return (_devices[i], local, _sizes[i] - local);
    }

    /// <summary>Reads across source boundaries; bytes past a source's virtual end read as zero.</summary>
    public void Read(long offset, Span<byte> dest)
    {
        while (!dest.IsEmpty)
        {
            var (dev, local, remaining) = Locate(offset);
            int n = (int)Math.Min(dest.Length, remaining);
            long avail = Math.Max(0, dev.VirtualSize - local);
            int real = (int)Math.Min(n, avail);
            if (real > 0) dev.Read(local, dest[..real]);
            dest[real..n].Clear();
            dest = dest[n..];
            offset += n;
        }
    }

    public void Dispose()
    {
        foreach (var d in _devices) d.Dispose();
    }
}
