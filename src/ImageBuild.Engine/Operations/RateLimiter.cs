using System.Diagnostics;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu's -r rate limit: keeps the average throughput since the start at or below a byte rate. Several writer
/// threads may share one.
/// </summary>
internal sealed class RateLimiter(long bytesPerSecond)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _done;

    /// <summary>Accounts for <paramref name="bytes"/> just written and sleeps while ahead of the rate (0 = unlimited).</summary>
    public void Consume(long bytes)
    {
        if (bytesPerSecond <= 0) return;
        long done = Interlocked.Add(ref _done, bytes);
        double ahead = (double)done / bytesPerSecond - _clock.Elapsed.TotalSeconds;
        if (ahead > 0) Thread.Sleep(TimeSpan.FromSeconds(ahead));
    }
}
