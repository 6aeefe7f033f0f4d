using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qcow2;

public sealed partial class Qcow2Device
{
    public override bool SupportsCheck => true;

    /// <summary>qcow2_co_check: reporting only; repair is not implemented yet.</summary>
    public override CheckResult Check(CheckRepair repair, ICheckLog log)
    {
        if (repair != CheckRepair.None)
            throw new ImageException("Repair is not supported yet");
        if (!ReadOnly)
            FlushMetadata(markClean: false);
        return Qcow2Checker.Run(this, log);
    }
}
