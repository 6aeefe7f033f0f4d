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
                    ImageSnapshotter.LoadForReading(source, request.Snapshot);
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
            return format.Measure(context, options, source, size);
        }
        finally
        {
            source?.Dispose();
        }
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
