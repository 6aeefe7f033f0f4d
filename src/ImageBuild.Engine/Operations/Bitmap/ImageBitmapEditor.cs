using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img bitmap: opens the image read-write without its backing chain and runs the actions in order, as qemu's
/// block-dirty-bitmap QMP commands do. The first failure stops the run ("Operation OP on bitmap NAME failed: ...");
/// what was done before it is kept, since closing the image stores the bitmaps either way.
/// </summary>
public static class ImageBitmapEditor
{
    /// <summary>The node name qemu's messages show for the image (qemu generates "#blockNNN" names; the number differs).</summary>
    public const string NodeName = "#block100";

    public static void Run(ImageContext context, BitmapRequest request)
    {
        using var device = ImageOpener.Open(context, request.Filename,
            new OpenOptions { Format = request.Format, Writable = true, NoBacking = true });
        // A read-write open marks the loaded bitmaps in use; closing stores them, whatever happens in between.
        (device as IPersistentBitmaps)?.LoadBitmapsForWrite();
        using var source = request.SourceFile is null ? null : ImageOpener.Open(context, request.SourceFile,
            new OpenOptions { Format = request.SourceFormat, NoBacking = true });
        var bitmaps = device as IPersistentBitmaps;
        foreach (var step in request.Steps)
        {
            try
            {
                Apply(bitmaps, source ?? device, request, step);
            }
            catch (ImageException e) when (e is not ImageCorruptException)
            {
                string op = step.Action.ToString().ToLowerInvariant();
                throw new ImageException($"Operation {op} on bitmap {request.Bitmap} failed: {e.Message}", e);
            }
        }
    }

    private static void Apply(IPersistentBitmaps? image, BlockDevice source, BitmapRequest request, BitmapStep step)
    {
        string name = request.Bitmap;
        if (image is null)
        {
            if (step.Action == BitmapAction.Add)
            {
                if (name.Length == 0) throw new ImageException("Bitmap name cannot be empty");
                throw new ImageException($"Can't store persistent bitmaps to {NodeName}: Operation not supported");
            }
            throw new ImageException($"Dirty bitmap '{name}' not found");
        }
        switch (step.Action)
        {
            case BitmapAction.Add:
                image.AddBitmap(name, request.Granularity ?? image.DefaultBitmapGranularity, NodeName);
                break;
            case BitmapAction.Remove:
                image.RemoveBitmap(name);
                break;
            case BitmapAction.Clear:
                image.ClearBitmap(name);
                break;
            case BitmapAction.Enable:
            case BitmapAction.Disable:
                image.EnableBitmap(name, step.Action == BitmapAction.Enable);
                break;
            case BitmapAction.Merge:
                image.CheckBitmapExists(name);
                if (source is not IPersistentBitmaps src)
                    throw new ImageException($"Dirty bitmap '{step.Source}' not found");
                image.MergeBitmap(name, src.GetBitmapForMerge(step.Source!));
                break;
        }
    }
}
