using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Cake.ImageBuild.Hosting;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;

namespace Cake.ImageBuild;

public static partial class ImageBuildAliases
{
    /// <summary>Describes an image (as <c>qemu-img info</c>): format, sizes, backing file, format-specific fields.</summary>
    /// <example><code>var info = ImageBuildInfo("out/disk.qcow2"); Information("{0} bytes, backing {1}", info.VirtualSize, info.BackingFilename);</code></example>
    /// <param name="context">The context.</param>
    /// <param name="image">The image.</param>
    /// <returns>The image's fields.</returns>
    [CakeMethodAlias]
    public static ImageBuildImageInfo ImageBuildInfo(this ICakeContext context, FilePath image) =>
        ImageBuildInfo(context, image, new ImageBuildInfoSettings());

    /// <summary>Describes an image and, optionally, its backing chain (as <c>qemu-img info --backing-chain</c>).</summary>
    /// <param name="context">The context.</param>
    /// <param name="image">The image.</param>
    /// <param name="settings">The settings.</param>
    /// <returns>The image's fields; <see cref="ImageBuildImageInfo.BackingChain"/> has the images below it when asked for.</returns>
    /// <exception cref="CakeException">The image could not be opened.</exception>
    [CakeMethodAlias]
    public static ImageBuildImageInfo ImageBuildInfo(this ICakeContext context, FilePath image, ImageBuildInfoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(settings);
        string path = HostCall.Absolute(context, image);
        IReadOnlyList<ImageInfo> list;
        try
        {
            var engine = ImageContext.CreateDefault(warning => context.Log.Warning("{0}", warning));
            list = ImageInfoCollector.CollectList(engine, path, settings.Format, settings.BackingChain, settings.ForceShare);
        }
        catch (Exception e) when (e is not CakeException and not OperationCanceledException)
        {
            throw new CakeException($"ImageBuildInfo '{path}' failed: {e.Message}", e);
        }
        var chain = list.Skip(1).Select(i => ImageBuildImageInfo.From(i, [])).ToList();
        var info = ImageBuildImageInfo.From(list[0], chain);
        context.Log.Verbose("{0}", info.ToString());
        return info;
    }
}
