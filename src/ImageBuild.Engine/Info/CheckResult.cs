namespace ImageBuild.Engine.Info;

/// <summary>What to repair during check (qemu's -r).</summary>
[Flags]
public enum CheckRepair
{
    None = 0,
    Leaks = 1,
    Errors = 2,
    All = Leaks | Errors,
}

/// <summary>qemu's ImageCheck counters for one check run.</summary>
public sealed record CheckResult
{
    public long CheckErrors { get; init; }
    public long Corruptions { get; init; }
    public long Leaks { get; init; }
    public long CorruptionsFixed { get; init; }
    public long LeaksFixed { get; init; }
    /// <summary>End of the highest used host cluster; 0 when not reported.</summary>
    public long ImageEndOffset { get; init; }
    public long TotalClusters { get; init; }
    public long AllocatedClusters { get; init; }
    public long FragmentedClusters { get; init; }
    public long CompressedClusters { get; init; }
}

/// <summary>Where a check writes its per-cluster diagnostics (qemu prints them on stderr, even with -q).</summary>
public interface ICheckLog
{
    void Message(string line);

    /// <summary>An error qemu reports with error_report ("program: message") in the middle of the check's lines.</summary>
    void Error(string message) => Message(message);
}
