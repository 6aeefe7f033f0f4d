using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// convert --bitmaps (qemu-img's convert_check_bitmaps / convert_copy_bitmaps): the source's persistent dirty
/// bitmaps are checked before anything is created, and copied to the target after the data, with their
/// granularity, enabled state and bits. Both sides must be able to store persistent bitmaps (<see cref="IPersistentBitmaps"/>).
/// </summary>
internal sealed class BitmapCopy
{
    private readonly IPersistentBitmaps _source;
    private readonly bool _skipBroken;

    private BitmapCopy(IPersistentBitmaps source, bool skipBroken)
    {
        _source = source;
        _skipBroken = skipBroken;
    }

    /// <summary>
    /// qemu walks a node's bitmaps newest first (its list is built by prepending), so the first inconsistent
    /// bitmap it names is the last one in the directory.
    /// </summary>
    private IEnumerable<(string Name, int GranularityBits, bool Enabled, bool InUse)> QemuOrder => _source.BitmapSummaries.Reverse();

    public static BitmapCopy Check(BlockDevice source, bool skipBroken)
    {
        if (source is not IPersistentBitmaps q || !q.CanStorePersistentBitmaps)
            throw new ImageException("Source lacks bitmap support");
        var copy = new BitmapCopy(q, skipBroken);
        if (!skipBroken && copy.QemuOrder.FirstOrDefault(b => b.InUse) is { Name: { } broken })
            throw new ImageException($"Cannot copy inconsistent bitmap '{broken}'\nTry --skip-broken-bitmaps, or use 'imagebuild bitmap --remove' to delete it");
        return copy;
    }

    public void CheckTarget(BlockDevice target)
    {
        if (target is not IPersistentBitmaps { CanStorePersistentBitmaps: true })
            throw new ImageException($"Format driver '{target.FormatName}' does not support bitmaps");
    }

    /// <param name="warnings">Where "Skipping inconsistent bitmap" warnings go (null: quiet).</param>
    public void CopyTo(BlockDevice target, ImageContext? warnings)
    {
        var q = (IPersistentBitmaps)target;
        var usable = new List<(string Name, bool Enabled)>();
        foreach (var b in QemuOrder)
        {
            if (b.InUse)
            {
                // Check already failed unless broken bitmaps are to be skipped.
                warnings?.Warn($"warning: Skipping inconsistent bitmap '{b.Name}'");
                continue;
            }
            usable.Add((b.Name, b.Enabled));
        }
        // Added oldest first, so the target's directory lists them in the source's order, as qemu's does.
        for (int i = usable.Count - 1; i >= 0; i--)
            q.ImportBitmap(_source.GetBitmapForMerge(usable[i].Name), usable[i].Enabled, ImageBitmapEditor.NodeName);
    }
}
