using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Tests.FaultInjection;

/// <summary>Stops the program at a crash point: nothing after it reaches the disk.</summary>
public sealed class SimulatedCrashException(int index) : Exception($"simulated crash before host change #{index}")
{
    public int Index { get; } = index;
}

/// <summary>
/// The test side of <see cref="IHostFileFaults"/> (qemu's blkdebug): numbers every change the engine makes to host
/// files (writes, flushes, truncations, hole punches, preallocations, kernel copies) in program order, across all
/// files of one operation, and at a chosen index either fails it with an errno or "crashes": the files are taken
/// as they are on disk at that moment (every change before the index applied, none after) and every later change
/// is refused, so cleanup code cannot touch what a real crash would have left.
/// </summary>
public sealed class HostFaultPlan : IHostFileFaults
{
    public const int EIO = 5, ENOSPC = 28;

    private readonly int _at;
    private readonly int _errno;
    private readonly Action? _onCrash;
    private bool _crashed;

    private HostFaultPlan(int at, int errno, Action? onCrash)
    {
        _at = at;
        _errno = errno;
        _onCrash = onCrash;
    }

    /// <summary>Injects nothing; counts (see <see cref="Changes"/>).</summary>
    public static HostFaultPlan Counting() => new(-1, 0, null);

    /// <summary>Lets <paramref name="index"/> changes through, then calls <paramref name="onCrash"/> and refuses the rest.</summary>
    public static HostFaultPlan CrashBefore(int index, Action onCrash) => new(index, 0, onCrash);

    /// <summary>Fails change <paramref name="index"/> (and only it) with <paramref name="errno"/>.</summary>
    public static HostFaultPlan FailAt(int index, int errno) => new(index, errno, null);

    /// <summary>Every change seen, in order: what it was and the file's name.</summary>
    public List<(HostFileChange Change, string File)> Changes { get; } = [];

    /// <summary>Whether the crash point or the failing change was reached.</summary>
    public bool Triggered { get; private set; }

    public void Before(HostFile file, HostFileChange change, long offset, long length)
    {
        int index;
        lock (Changes)
        {
            if (_crashed)
                throw new SimulatedCrashException(_at);
            index = Changes.Count;
            Changes.Add((change, Path.GetFileName(file.Path)));
            if (index == _at && _onCrash is not null)
            {
                Triggered = true;
                _crashed = true;
                _onCrash();
                throw new SimulatedCrashException(index);
            }
        }
        if (index != _at)
            return;
        Triggered = true;
        throw new IOException(_errno == ENOSPC ? "No space left on device" : "Input/output error", _errno);
    }
}
