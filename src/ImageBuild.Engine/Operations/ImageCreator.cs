using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu's bdrv_img_create: validates options, takes the size from the backing file when omitted, prints the
/// "Formatting" line and asks the format driver to create the image. Errors carry the "FILE: " prefix qemu uses.
/// </summary>
public static class ImageCreator
{
    /// <summary>The options a create accepts: the format's table, then the file protocol's (without duplicates).</summary>
    public static IReadOnlyList<CreateOption> AllCreateOptions(ImageFormat format)
    {
        var list = new List<CreateOption>(format.CreateOptions ?? []);
        foreach (var o in FileProtocol.CreateOptions)
            if (!list.Exists(x => x.Name == o.Name))
                list.Add(o);
        return list;
    }

    /// <summary>
    /// Finds a format that can create images, with qemu's errors otherwise; a format qemu has and this engine does
    /// not yet is refused by name for <paramref name="filename"/> (the image to be written, when there is one).
    /// </summary>
    public static ImageFormat FindCreatableFormat(ImageContext context, string name, string? filename = null)
    {
        var format = context.Formats.Find(name) ?? throw new ImageException($"Unknown file format '{name}'");
        if (format is UnsupportedFormat unsupported)
            throw unsupported.Refusal(filename);
        if (!format.SupportsCreate)
            throw new ImageException($"Format driver '{name}' does not support image creation");
        return format;
    }

    /// <summary>
    /// Creates the image. <paramref name="formatting"/> receives the "Formatting '...'" line at the point qemu
    /// prints it (after backing checks, before the driver's own validation); pass null for -q.
    /// </summary>
    public static void Create(ImageContext context, CreateImageRequest request, Action<string>? formatting)
    {
        var format = FindCreatableFormat(context, request.Format, request.Filename);
        string file = request.Filename;
        try
        {
            CreateCore(context, format, request, formatting);
        }
        catch (ImageException e) when (e.Errno == SnapshotException.EFBIG)
        {
            // bdrv_img_create words every EFBIG this way, with a hint when the format has clusters.
            string hint = AllCreateOptions(format).Any(o => o.Name == "cluster_size") ? " (try using a larger cluster size)" : "";
            throw new ImageException($"{file}: The image size is too large for file format '{format.Name}'{hint}", e);
        }
        catch (ImageException e)
        {
            throw new ImageException($"{file}: {e.Message}", e);
        }
    }

    private static void CreateCore(ImageContext context, ImageFormat format, CreateImageRequest request, Action<string>? formatting)
    {
        var values = ParseOptions(format, request.Options);
        void Set(string name, string value)
        {
            values.RemoveAll(p => p.Key == name);
            values.Add(new(name, value));
        }

        if (request.Size is { } argSize)
        {
            if (values.Exists(p => p.Key == "size"))
                throw new ImageException("The image size must be specified only once");
            Set("size", argSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (request.BackingFile is not null && !format.SupportsBacking)
            throw new ImageException($"Backing file not supported for file format '{format.Name}'");
        if (request.BackingFormat is not null && !format.SupportsBacking)
            throw new ImageException($"Backing file format not supported for file format '{format.Name}'");
        if (request.BackingFile is not null) Set("backing_file", request.BackingFile);
        if (request.BackingFormat is not null) Set("backing_fmt", request.BackingFormat);

        var opts = new OptionValues(values);
        string? backingFile = opts.GetString("backing_file");
        string? backingFmt = opts.GetString("backing_fmt");

        if (backingFile is not null)
        {
            if (!format.SupportsBacking)
                throw new ImageException($"Backing file not supported for file format '{format.Name}'");
            string resolved = ImageOpener.ResolveBackingName(request.Filename, backingFile);
            if (SamePath(resolved, request.Filename))
                throw new ImageException("Error: Trying to create an image with the same filename as the backing file");

            if (!request.BackingUnsafe)
            {
                if (backingFmt is null)
                {
                    string detected = "";
                    if (System.IO.File.Exists(resolved))
                    {
                        try
                        {
                            using var hf = Host.HostFile.Open(resolved, writable: false);
                            detected = $"\nDetected format of {ImageOpener.ProbeFormat(context, hf, resolved).Name}.";
                        }
                        catch (ImageException) { }
                    }
                    throw new ImageException("Backing file specified without backing format" + detected);
                }
                long backingSize;
                try
                {
                    using var backing = ImageOpener.OpenNode(context, resolved, new OpenOptions { Format = backingFmt, NoBacking = false, NoIo = true });
                    backingSize = backing.VirtualSize;
                }
                catch (ImageException e)
                {
                    string inner = e.Message;
                    throw new ImageException($"{inner}\nCould not open backing image.", e);
                }
                if (!opts.Has("size"))
                    Set("size", backingSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            opts = new OptionValues(values);
        }

        if (!opts.Has("size"))
            throw new ImageException("Image creation needs a size parameter");
        long size = opts.GetSize("size")!.Value;

        formatting?.Invoke(FormattingLine(request.Filename, format, values));

        var driverOptions = new OptionValues(values.Where(p => p.Key != "size"));
        format.Create(new CreateRequest(context, request.Filename, size, driverOptions));
    }

    /// <summary>
    /// Validates "-o" pairs against the format's (and file protocol's) option table: unknown names give
    /// qemu's "Invalid parameter 'x'"; sizes are normalised to bytes; a later value replaces an earlier one.
    /// </summary>
    public static List<KeyValuePair<string, string>> ParseOptions(ImageFormat format, IEnumerable<KeyValuePair<string, string>> given) =>
        ParseOptions(AllCreateOptions(format), given);

    /// <summary>The same validation against any option table (amend uses the format's amend table).</summary>
    public static List<KeyValuePair<string, string>> ParseOptions(IReadOnlyList<CreateOption> table, IEnumerable<KeyValuePair<string, string>> given)
    {
        var values = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in given)
        {
            var spec = table.FirstOrDefault(o => o.Name == name) ?? throw new ImageException($"Invalid parameter '{name}'");
            if (spec.Type == OptionType.Size && !SizeParser.TryParse(value, out _))
                throw new ImageException($"Parameter '{name}' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.");
            if (spec.Type == OptionType.Bool && value is not ("on" or "off" or "yes" or "no" or "true" or "false" or "y" or "n"))
                throw new ImageException($"Parameter '{name}' expects 'on' or 'off'");
            if (spec.Type == OptionType.Number && !IsQemuNumber(value))
                throw new ImageException($"Parameter '{name}' expects a number");
            values.RemoveAll(p => p.Key == name);
            values.Add(new(name, spec.Type == OptionType.Size ? Parse(value).ToString(System.Globalization.CultureInfo.InvariantCulture) : value));
        }
        return values;
    }

    /// <summary>
    /// "Formatting 'F', fmt=FMT k=v ..." with options in table order: those given, plus those with defaults.
    /// Commas in values are re-escaped as ",,".
    /// </summary>
    public static string FormattingLine(string filename, ImageFormat format, IReadOnlyList<KeyValuePair<string, string>> values)
    {
        var sb = new StringBuilder();
        sb.Append("Formatting '").Append(filename).Append("', fmt=").Append(format.Name);
        foreach (var o in AllCreateOptions(format))
        {
            string? v = values.FirstOrDefault(p => p.Key == o.Name).Value ?? o.Default;
            if (v is null) continue;
            sb.Append(' ').Append(o.Name).Append('=').Append(v.Replace(",", ",,", StringComparison.Ordinal));
        }
        return sb.ToString();
    }

    /// <summary>qemu_strtou64 as qemu_opt parses numbers: optional sign, decimal / 0x hex / 0 octal digits, nothing after.</summary>
    private static bool IsQemuNumber(string v)
    {
        string t = v.TrimStart();
        if (t.StartsWith('-') || t.StartsWith('+')) t = t[1..];
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return t.Length > 2 && t[2..].All(Uri.IsHexDigit);
        return t.Length > 0 && t.All(char.IsAsciiDigit);
    }

    private static long Parse(string v) => SizeParser.TryParse(v, out long n) ? n : 0;

    private static bool SamePath(string a, string b)
    {
        try { return Path.GetFullPath(a) == Path.GetFullPath(b); }
        catch (ArgumentException) { return a == b; }
    }
}
