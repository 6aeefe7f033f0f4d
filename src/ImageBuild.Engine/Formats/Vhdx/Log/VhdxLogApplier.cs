using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// Replays a log (VHDX 1.0 §2.3.3, qemu's vhdx_log_flush): writes each update in order, zeros included (a zero
/// update past the end of the file extends it, as qemu's zero-filled writes do; inside the file it may punch a hole —
/// the bytes read the same), extends the file to the replayed length, then flushes. The
/// caller marks the log empty in the headers (LogGuid zero) only after this returns, so a crash before that replays
/// the same updates again: replay is idempotent.
/// </summary>
internal static class VhdxLogApplier
{
    /// <summary>
    /// Writes the replay's updates (a replay built by hand, with <see cref="VhdxLogReplay.EntryCount"/> 0, is applied
    /// all the same), extends the file to <see cref="VhdxLogReplay.LengthAfter"/> and flushes.
    /// </summary>
    public static void Apply(HostFile file, VhdxLogReplay replay)
    {
        long target = replay.LengthAfter(file.Length);
        foreach (VhdxLogWrite write in replay.Writes)
        {
            if (write.IsZero)
            {
                long end = write.FileOffset + write.Length;
                long length = file.Length;
                if (end > length)
                    file.SetLength(end);
                file.ZeroRange(write.FileOffset, Math.Min(end, length) - write.FileOffset);
            }
            else
                file.Write(write.FileOffset, write.Data.Span);
        }
        if (file.Length < target)
            file.SetLength(target);
        file.Flush();
    }
}
