using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Operations;

/// <summary>qemu-img amend: opens the image read-write, checks the options against the format's amend table and lets the driver change them.</summary>
public static class ImageAmender
{
    /// <summary>print_amend_option_help's checks: the format must exist and support amend; returns its amend options.</summary>
    public static IReadOnlyList<CreateOption> AmendOptionsOf(ImageContext context, string format)
    {
        var f = context.Formats.Find(format) ?? throw new ImageException($"Unknown file format '{format}'");
        return f.AmendOptions ?? throw new ImageException($"Format driver '{format}' does not support option amendment");
    }

    /// <summary>The format of an image as a read-write open finds it (amend -o help without -f).</summary>
    public static string DetectFormat(ImageContext context, string filename, string? format)
    {
        using var device = ImageOpener.Open(context, filename, new OpenOptions { Format = format, Writable = true, NoBacking = true });
        return device.FormatName;
    }

    public static void Amend(ImageContext context, AmendRequest request)
    {
        using var device = ImageOpener.Open(context, request.Filename,
            new OpenOptions { Format = request.Format, Writable = true, UnsafeCache = request.UnsafeCache });
        var format = context.Formats.Find(device.FormatName);
        var table = format?.AmendOptions ?? throw new ImageException($"Format driver '{device.FormatName}' does not support option amendment");
        List<KeyValuePair<string, string>> values;
        try
        {
            values = ImageCreator.ParseOptions(table, request.Options);
        }
        catch (ImageException e)
        {
            // qemu parses again with the create options added: if that succeeds the option is a create-only one.
            bool createOnly = false;
            try
            {
                ImageCreator.ParseOptions(table.Concat(ImageCreator.AllCreateOptions(format)).ToList(), request.Options);
                createOnly = true;
            }
            catch (ImageException) { }
            throw createOnly ? new ImageException(e.Message + "\nThis option is only supported for image creation", e) : e;
        }
        request.Progress?.Invoke(0);
        try
        {
            device.Amend(new OptionValues(values), request.Force,
                (done, total) => request.Progress?.Invoke(total > 0 ? 100.0 * done / total : 0));
        }
        finally
        {
            request.Progress?.Invoke(100);
        }
    }
}
