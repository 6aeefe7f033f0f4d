namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// The file ranges already claimed by the log and the regions (qemu's vhdx_region_register / vhdx_region_check): a
/// region, or a fully present payload block, that overlaps one of them is refused with qemu's error_report line.
/// </summary>
internal sealed class VhdxRegions
{
    private readonly List<(ulong Start, ulong End)> _ranges = [];

    public void Register(ulong start, ulong length) => _ranges.Add((start, start + length));

    /// <summary>The message for an overlap, or null when [start, start+length) is free.</summary>
    public string? Overlap(ulong start, ulong length)
    {
        ulong end = start + length;
        // qemu keeps the regions in a list it inserts at the head of: the latest is compared first
        for (int i = _ranges.Count - 1; i >= 0; i--)
        {
            var (s, e) = _ranges[i];
            if (!(start >= e || end <= s))
                return $"VHDX region {start}-{end} overlaps with region {s}-{e}";
        }
        return null;
    }
}
