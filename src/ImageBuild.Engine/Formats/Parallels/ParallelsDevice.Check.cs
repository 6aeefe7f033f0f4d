using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Parallels;

public sealed partial class ParallelsDevice
{
    public override bool SupportsCheck => true;

    /// <summary>
    /// qemu 7.2's parallels_co_check: an image not closed cleanly is one corruption (repaired by clearing the marker
    /// on close); each BAT entry naming a cluster that starts past the end of the file is one corruption (repaired
    /// by clearing the entry); the file past the last used cluster is leaked, one leak per cluster or part of one
    /// (repaired by truncating the file there). Also counts allocated and fragmented clusters.
    /// </summary>
    public override CheckResult Check(CheckRepair repair, ICheckLog log)
    {
        bool fixErrors = (repair & CheckRepair.Errors) != 0 && !ReadOnly;
        bool fixLeaks = (repair & CheckRepair.Leaks) != 0 && !ReadOnly;
        // qemu sees the file's length in whole sectors (bdrv_getlength)
        long size = Sectors.RoundUp(_file.Length);
        long clusterSize = ClusterBytes;
        long corruptions = 0, corruptionsFixed = 0, allocated = 0, fragmented = 0, leaks = 0, leaksFixed = 0;

        if (_headerUnclean)
        {
            log.Message($"{(fixErrors ? "Repairing" : "ERROR")} image was not closed correctly");
            corruptions++;
            if (fixErrors)
            {
                corruptionsFixed++;
                _headerUnclean = false;
            }
        }

        long highOff = 0, prevOff = 0, prevIndex = -1;
        var outside = new List<long>();
        _bat.ForEachAllocated((index, entry) =>
        {
            // a zero entry between two allocated ones breaks the run
            if (index != prevIndex + 1) prevOff = 0;
            prevIndex = index;
            long off = entry * _offMultiplier * 512;
            if (off > size)
            {
                log.Message($"{(fixErrors ? "Repairing" : "ERROR")} cluster {index} is outside image");
                corruptions++;
                if (fixErrors)
                {
                    outside.Add(index);
                    prevOff = 0;
                    return;
                }
            }
            allocated++;
            if (off > highOff) highOff = off;
            if (prevOff != 0 && prevOff + clusterSize != off) fragmented++;
            prevOff = off;
        });

        foreach (long index in outside)
            _bat.Set(index, [0u]);
        corruptionsFixed += outside.Count;
        if (outside.Count > 0)
            _file.Flush();

        long imageEnd = highOff + clusterSize;
        if (size > imageEnd)
        {
            long count = (size - imageEnd + clusterSize - 1) / clusterSize;
            log.Message($"{(fixLeaks ? "Repairing" : "ERROR")} space leaked at the end of the image {size - imageEnd}");
            leaks += count;
            if (fixLeaks)
            {
                _file.SetLength(imageEnd);
                leaksFixed += count;
            }
        }

        return new CheckResult
        {
            Corruptions = corruptions,
            CorruptionsFixed = corruptionsFixed,
            Leaks = leaks,
            LeaksFixed = leaksFixed,
            ImageEndOffset = imageEnd,
            TotalClusters = _bat.Count,
            AllocatedClusters = allocated,
            FragmentedClusters = fragmented,
        };
    }
}
