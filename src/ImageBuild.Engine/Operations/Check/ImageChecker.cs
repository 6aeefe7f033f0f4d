using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Operations;

/// <summary>The outcome of qemu-img check: the final counters plus what a repair pass fixed.</summary>
/// <param name="Result">Counters of the last check run (the read-only re-check after a repair).</param>
/// <param name="Repaired">A repair pass fixed something and the image was checked again.</param>
public sealed record CheckOutcome(CheckResult Result, bool Repaired);

/// <summary>The image format has no check (qemu-img exits 63).</summary>
public sealed class CheckNotSupportedException() : ImageException("This image format does not support checks");

/// <summary>
/// A check (or repair) that stopped: <see cref="ImageException.Message"/> is the reason qemu-img prints after
/// "Check failed: "; <paramref name="errorReport"/> is the error qemu reports just before, if any.
/// </summary>
public sealed class CheckAbortedException(string? errorReport, string reason) : ImageException(reason)
{
    public string? ErrorReport { get; } = errorReport;
}

/// <summary>
/// qemu-img check's flow: one check (with repair when asked); if it fixed anything, a second read-only check
/// whose counters are reported, carrying over the fixed counts of the first.
/// </summary>
public static class ImageChecker
{
    public static CheckOutcome Check(BlockDevice device, CheckRepair repair, ICheckLog log)
    {
        if (!device.SupportsCheck)
            throw new CheckNotSupportedException();
        CheckResult first = device.Check(repair, log);
        if (first.CorruptionsFixed == 0 && first.LeaksFixed == 0)
            return new CheckOutcome(first, false);
        CheckResult second = device.Check(CheckRepair.None, log);
        return new CheckOutcome(second with { LeaksFixed = first.LeaksFixed, CorruptionsFixed = first.CorruptionsFixed }, true);
    }

    /// <summary>qemu's ImageCheck QAPI object in schema order; optional counters only when non-zero.</summary>
    public static QapiObject ToQapi(CheckResult r, string filename, string format)
    {
        var o = new QapiObject();
        o.Add("filename", filename);
        o.Add("format", format);
        o.Add("check-errors", r.CheckErrors);
        if (r.ImageEndOffset != 0) o.Add("image-end-offset", r.ImageEndOffset);
        if (r.Corruptions != 0) o.Add("corruptions", r.Corruptions);
        if (r.Leaks != 0) o.Add("leaks", r.Leaks);
        if (r.CorruptionsFixed != 0) o.Add("corruptions-fixed", r.CorruptionsFixed);
        if (r.LeaksFixed != 0) o.Add("leaks-fixed", r.LeaksFixed);
        if (r.TotalClusters != 0) o.Add("total-clusters", r.TotalClusters);
        if (r.AllocatedClusters != 0) o.Add("allocated-clusters", r.AllocatedClusters);
        if (r.FragmentedClusters != 0) o.Add("fragmented-clusters", r.FragmentedClusters);
        if (r.CompressedClusters != 0) o.Add("compressed-clusters", r.CompressedClusters);
        return o;
    }
}
