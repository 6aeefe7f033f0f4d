using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img info's data gathering (bdrv_query_image_info and collect_image_info_list): opens each image
/// without its backing chain and, for --backing-chain, follows the backing names by hand.
/// </summary>
public static class ImageInfoCollector
{
    /// <summary>The info of one opened image.</summary>
    public static ImageInfo Collect(BlockDevice device)
    {
        long cluster = device.ClusterSize;
        string? backing = string.IsNullOrEmpty(device.BackingFilename) ? null : device.BackingFilename;
        return new ImageInfo
        {
            Filename = device.Filename,
            Format = device.FormatName,
            DirtyFlag = device.HasDriverInfo ? device.IsDirty : null,
            ActualSize = device.ActualSize,
            VirtualSize = device.VirtualSize,
            ClusterSize = cluster != 0 ? cluster : null,
            Encrypted = device.IsEncrypted ? true : null,
            BackingFilename = backing,
            FullBackingFilename = backing is null ? null : device.FullBackingFilename,
            BackingFilenameFormat = backing is null || string.IsNullOrEmpty(device.BackingFormat) ? null : device.BackingFormat,
            Snapshots = device.Snapshots.Count > 0 ? device.Snapshots : null,
            FormatSpecific = device.GetSpecificInfo(),
        };
    }

    /// <summary>
    /// Info for <paramref name="filename"/> and, with <paramref name="chain"/>, every image of its backing chain
    /// (top first). A name seen twice is qemu's "creates an infinite loop" error.
    /// </summary>
    public static IReadOnlyList<ImageInfo> CollectList(ImageContext context, string filename, string? format, bool chain, bool forceShare)
    {
        var list = new List<ImageInfo>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? name = filename;
        string? fmt = format;
        while (name is not null)
        {
            if (!seen.Add(name))
                throw new ImageException($"Backing file '{name}' creates an infinite loop.");
            if (list.Count >= ImageOpener.MaxChainDepth)
                throw new ImageException($"Backing file '{name}' creates an infinite loop.");
            string opened = name;
            ImageInfo info;
            using (var device = ImageOpener.Open(context, name, new OpenOptions { Format = fmt, NoBacking = true, NoIo = true, ForceShare = forceShare }))
                info = Collect(device);
            list.Add(info);
            name = null;
            fmt = null;
            if (chain)
            {
                if (info.FullBackingFilename is not null)
                {
                    ImageOpener.CheckBacking(context, opened, info.FullBackingFilename);
                    name = info.FullBackingFilename;
                }
                else if (info.BackingFilename is not null)
                    throw new ImageException($"Could not determine absolute backing filename, but backing filename '{info.BackingFilename}' present");
                fmt = info.BackingFilenameFormat;
            }
        }
        return list;
    }
}
