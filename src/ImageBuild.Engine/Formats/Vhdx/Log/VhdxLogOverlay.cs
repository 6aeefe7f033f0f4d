using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>Placeholder until branch i16-vhdxlog lands: the file as the replay would leave it, without writing it.</summary>
internal sealed class VhdxLogOverlay(VhdxLogReplay replay)
{
    public void Read(HostFile file, long offset, Span<byte> dest)
    {
        file.Read(offset, dest);
        long end = offset + dest.Length;
        foreach (var w in replay.Writes)
        {
            long s = Math.Max(offset, w.FileOffset), e = Math.Min(end, w.FileOffset + w.Length);
            if (s >= e) continue;
            var target = dest.Slice((int)(s - offset), (int)(e - s));
            if (w.IsZero) target.Clear();
            else w.Data.Span.Slice((int)(s - w.FileOffset), (int)(e - s)).CopyTo(target);
        }
    }

    public long Length(HostFile file) => Math.Max(file.Length, replay.LastFileOffset);
}
