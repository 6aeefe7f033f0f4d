using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Engine.Formats.Vdi;

public sealed partial class VdiDevice
{
    public override bool SupportsCheck => true;

    /// <summary>
    /// qemu's vdi_co_check: every allocated entry must name a data block below blocks_in_image that no other entry
    /// names, and their count must equal blocks_allocated. Each finding is one corruption, with qemu's lines. qemu
    /// cannot repair: with -r it answers as a format without check (exit 63).
    /// </summary>
    public override CheckResult Check(CheckRepair repair, ICheckLog log)
    {
        if (repair != CheckRepair.None)
            throw new CheckNotSupportedException();
        uint count = _map.Count;
        var used = new VdiUsedBlocks(count);
        uint allocated = 0;
        long corruptions = 0;
        for (long block = 0; block < count; block++)
        {
            uint entry = _map[block];
            if (!VdiBlockEntry.IsAllocated(entry))
                continue;
            if (entry >= count)
            {
                log.Message($"ERROR: block index {block} too large, is {entry}");
                corruptions++;
                continue;
            }
            allocated++;
            if (!used.Add(entry))
            {
                // qemu prints the data block twice: its table holds the block's own index at that block
                log.Message($"ERROR: block index {entry} also used by {entry}");
                corruptions++;
            }
        }
        if (allocated != _header.BlocksAllocated)
        {
            log.Message($"ERROR: allocated blocks mismatch, is {allocated}, should be {_header.BlocksAllocated}");
            corruptions++;
        }
        return new CheckResult { Corruptions = corruptions };
    }
}
