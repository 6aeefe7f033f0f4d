using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img measure after argument checks: opens the source (if any), finds the target driver, validates its
/// options, and asks the driver for the sizes.
/// </summary>
public static class ImageMeasurer
{
    public static MeasureResult Measure(ImageContext context, MeasureRequest request)
    {
        BlockDevice? source = null;
        try
        {
            if (request.Filename is not null)
            {
                source = ImageOpener.Open(context, request.Filename,
                    new OpenOptions { Format = request.SourceFormat, ForceShare = request.ForceShare });
                if (request.Snapshot is not null)
                    throw new ImageException("Failed to load snapshot: " + SnapshotLoadError(source, request.Snapshot));
            }

            ImageFormat format = ImageCreator.FindCreatableFormat(context, request.OutputFormat);
            List<KeyValuePair<string, string>> values;
            try
            {
                values = ImageCreator.ParseOptions(format, request.Options);
            }
            catch (ImageException e)
            {
                throw new ErrorReportsException([e.Message, $"Invalid options for file format '{request.OutputFormat}'"], e);
            }
            long size = source?.VirtualSize ?? request.Size ?? 0;
            var options = new OptionValues(values.Where(p => p.Key != "size"));
            return format.Measure(options, source, size);
        }
        finally
        {
            source?.Dispose();
        }
    }

    /// <summary>Why a temporary snapshot load fails (loading snapshots is not implemented by the engine).</summary>
    private static string SnapshotLoadError(BlockDevice source, string snapshot)
    {
        // qemu: only qcow2 among the image formats can load an internal snapshot temporarily.
        if (source.FormatName != "qcow2")
            return $"Block format '{source.FormatName}' used by device '' does not support temporarily loading internal snapshots";
        string wanted = snapshot.StartsWith("snapshot.", StringComparison.Ordinal) ? "" : snapshot;
        bool exists = source.Snapshots.Any(s => s.Id == wanted || s.Name == wanted);
        return exists ? "loading internal snapshots is not supported by imagebuild yet" : "Can't find snapshot";
    }

    /// <summary>qemu's BlockMeasureInfo as a QAPI object (schema order).</summary>
    public static QapiObject ToQapi(MeasureResult r)
    {
        var o = new QapiObject();
        o.Add("required", r.Required);
        o.Add("fully-allocated", r.FullyAllocated);
        if (r.Bitmaps is { } b) o.Add("bitmaps", b);
        return o;
    }
}
