using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Vhdx;

public sealed partial class VhdxDevice
{
    public override bool SupportsCheck => true;

    /// <summary>
    /// qemu's vhdx_co_check: a log replayed when the image was opened for repair counts as one corruption fixed; every
    /// BAT entry that points past the end of the file or into the log or a region is one corruption, reported with
    /// qemu's line. Nothing else is repaired.
    /// </summary>
    public override CheckResult Check(CheckRepair repair, ICheckLog log)
    {
        var errors = new List<string>();
        CheckBatEntries(errors, stopAtFirst: false);
        foreach (var e in errors)
            log.Error(e);
        return new CheckResult { Corruptions = errors.Count, CorruptionsFixed = LogReplayedOnOpen ? 1 : 0 };
    }
}
