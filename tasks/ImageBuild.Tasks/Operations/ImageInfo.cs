using System.Globalization;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ImageBuild.Tasks;

/// <summary>
/// `qemu-img info [--backing-chain] IMAGE` as output parameters. Reads only, so there is nothing to skip: it calls
/// the engine's <see cref="ImageInfoCollector"/> directly.
/// </summary>
public sealed class ImageInfo : ImageBuildTask
{
    [Required] public string Input { get; set; } = "";
    public string? InputFormat { get; set; }
    /// <summary>Also report every image of the backing chain (<see cref="Chain"/>).</summary>
    public bool BackingChain { get; set; }

    [Output] public string Format { get; private set; } = "";
    [Output] public long VirtualSize { get; private set; }
    /// <summary>Host disk usage in bytes (0 when unknown).</summary>
    [Output] public long ActualSize { get; private set; }
    /// <summary>Cluster size in bytes (0 for formats without clusters).</summary>
    [Output] public long ClusterSize { get; private set; }
    /// <summary>The backing file name as stored in the image, or empty.</summary>
    [Output] public string BackingFile { get; private set; } = "";
    /// <summary>The image and (with <see cref="BackingChain"/>) its backing images, top first, each with metadata
    /// Format, VirtualSize, ActualSize, ClusterSize, BackingFile.</summary>
    [Output] public ITaskItem[] Chain { get; private set; } = [];

    protected override void ExecuteCore()
    {
        string path = Path.GetFullPath(Input, BaseDirectory);
        var engine = ImageContext.CreateDefault(warning => Log.LogWarning("{0}", warning));
        var list = ImageInfoCollector.CollectList(engine, path, string.IsNullOrEmpty(InputFormat) ? null : InputFormat, BackingChain, forceShare: true);
        var top = list[0];
        Format = top.Format;
        VirtualSize = top.VirtualSize;
        ActualSize = top.ActualSize ?? 0;
        ClusterSize = top.ClusterSize ?? 0;
        BackingFile = top.BackingFilename ?? "";
        Chain = [.. list.Select(ToItem)];
        Log.LogMessage(MessageImportance.Normal, "{0}: {1}, virtual size {2} bytes{3}", top.Filename, top.Format,
            top.VirtualSize, top.BackingFilename is null ? "" : $", backing file {top.BackingFilename}");
    }

    private static TaskItem ToItem(Engine.Operations.ImageInfo info)
    {
        var item = new TaskItem(info.Filename);
        item.SetMetadata("Format", info.Format);
        item.SetMetadata("VirtualSize", info.VirtualSize.ToString(CultureInfo.InvariantCulture));
        item.SetMetadata("ActualSize", (info.ActualSize ?? 0).ToString(CultureInfo.InvariantCulture));
        item.SetMetadata("ClusterSize", (info.ClusterSize ?? 0).ToString(CultureInfo.InvariantCulture));
        item.SetMetadata("BackingFile", info.BackingFilename ?? "");
        return item;
    }
}
