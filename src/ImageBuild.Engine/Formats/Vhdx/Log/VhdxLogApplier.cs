using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>Placeholder until branch i16-vhdxlog lands: writes a replay's updates in order, extends the file to LastFileOffset, flushes.</summary>
internal static class VhdxLogApplier
{
    public static void Apply(HostFile file, VhdxLogReplay replay)
    {
        if (replay.FlushedFileOffset > file.Length)
            throw new ImageException("Invalid argument") { Errno = 22 };
        foreach (var w in replay.Writes)
        {
            if (w.IsZero)
                file.WriteZeros(w.FileOffset, w.Length);
            else
                file.Write(w.FileOffset, w.Data.Span);
        }
        if (file.Length < replay.LastFileOffset)
            file.SetLength(replay.LastFileOffset);
        file.Flush();
    }
}
