using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// The file as <see cref="VhdxLogApplier"/> would leave it, without writing: reads see the file with the replay's
/// updates laid over it in order (later updates win), and the length is the replayed one. Lets a read-only open
/// use an image whose log needs replay (qemu refuses such an open: "VHDX image file 'F' opened read-only, but
/// contains a log that needs to be replayed").
/// </summary>
internal sealed class VhdxLogOverlay
{
    private readonly VhdxLogReplay _replay;
    private readonly long _start = long.MaxValue;
    private readonly long _end;

    public VhdxLogOverlay(VhdxLogReplay replay)
    {
        _replay = replay;
        foreach (VhdxLogWrite write in replay.Writes)
        {
            _start = Math.Min(_start, write.FileOffset);
            _end = Math.Max(_end, write.FileOffset + write.Length);
        }
    }

    /// <summary>Reads <paramref name="dest"/>.Length bytes at <paramref name="offset"/> as they read after replay.</summary>
    public void Read(HostFile file, long offset, Span<byte> dest)
    {
        file.Read(offset, dest);
        long end = offset + dest.Length;
        if (end <= _start || offset >= _end)
            return;
        foreach (VhdxLogWrite write in _replay.Writes)
        {
            long from = Math.Max(offset, write.FileOffset);
            long to = Math.Min(end, write.FileOffset + write.Length);
            if (from >= to)
                continue;
            Span<byte> target = dest.Slice((int)(from - offset), (int)(to - from));
            if (write.IsZero)
                target.Clear();
            else
                write.Data.Span.Slice((int)(from - write.FileOffset), (int)(to - from)).CopyTo(target);
        }
    }

    /// <summary>The file's length after replay (<see cref="VhdxLogReplay.LengthAfter"/>).</summary>
    public long Length(HostFile file) => _replay.LengthAfter(file.Length);
}
