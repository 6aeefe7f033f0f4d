namespace ImageBuild.Engine.Info;

/// <summary>
/// What a new internal snapshot records (qemu's QEMUSnapshotInfo as qemu-img snapshot -c fills it): a name, the
/// creation time, and no VM state. The id is chosen by the driver.
/// </summary>
public sealed record NewSnapshot(string Name, uint DateSec, uint DateNsec)
{
    public ulong VmClockNsec { get; init; }

    /// <summary>qemu-img leaves the instruction count 0 (it zero-fills the snapshot info).</summary>
    public long Icount { get; init; }

    /// <summary>The date as qemu-img takes it: now, at microsecond precision.</summary>
    public static NewSnapshot Now(string name, DateTimeOffset now)
    {
        long ticks = now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long sec = ticks / TimeSpan.TicksPerSecond;
        long usec = ticks % TimeSpan.TicksPerSecond / 10;
        return new NewSnapshot(name, (uint)sec, (uint)(usec * 1000));
    }
}
