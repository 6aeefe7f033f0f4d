using System.Text;

namespace ImageBuild.Engine.Block;

/// <summary>
/// What qemu's bdrv_open makes of open options (--image-opts, json: filenames): the format driver (<c>driver</c>),
/// the host file of the "file" child (<c>file.filename</c>, with the file protocol's own options), the generic block
/// options, <c>backing</c> (null: no backing file), and the rest as the format driver's runtime options. Messages are
/// qemu's node-level ones (the caller prefixes "Could not open 'NAME': ").
/// </summary>
public sealed class ImageSpec
{
    /// <summary>The options of qemu's file protocol (file-posix) besides its generic block options.</summary>
    private static readonly string[] FileProtocolOptions =
        ["driver", "filename", "locking", "aio", "aio-max-batch", "pr-manager", "x-check-cache-dropped", "drop-cache"];

    /// <summary>Generic block options every node takes (bdrv_runtime_opts), with the boolean ones first.</summary>
    private static readonly string[] BooleanBlockOptions = ["read-only", "auto-read-only", "force-share", "cache.direct", "cache.no-flush"];

    private static readonly string[] OtherBlockOptions = ["node-name", "discard", "detect-zeroes"];

    private ImageSpec(string path, string? format, OpenOptions options, BlockOptions strong)
    {
        Path = path;
        Format = format;
        Options = options;
        Strong = strong;
    }

    /// <summary>The host file (file.filename).</summary>
    public string Path { get; }

    /// <summary>The format driver; null probes.</summary>
    public string? Format { get; }

    /// <summary>The open options with the format, locking, force-share, no-backing and driver options applied.</summary>
    public OpenOptions Options { get; }

    /// <summary>The format-level options as given (types kept), for the json: name.</summary>
    private BlockOptions Strong { get; }

    /// <summary>
    /// Resolves <paramref name="given"/> for an open with <paramref name="options"/>; a format in the options (-f,
    /// a backing format stored in the image) takes precedence over <c>driver</c>, as qemu joins them.
    /// </summary>
    public static ImageSpec Resolve(ImageContext context, BlockOptions given, OpenOptions options)
    {
        var opts = new BlockOptions();
        foreach (var key in given.Keys) opts.Put(key, given[key]);
        if (options.Format is not null) opts.Put("driver", options.Format);

        // backing: null (or the deprecated "") opens no backing file
        if (opts.Contains("backing"))
        {
            object? backing = opts["backing"];
            if (backing is null || backing is "")
            {
                if (backing is "")
                    context.Warn("warning: Use of \"backing\": \"\" is deprecated; use \"backing\": null instead");
                opts.Remove("backing");
                options = options with { NoBacking = true };
            }
        }

        foreach (string key in BooleanBlockOptions)
        {
            if (!opts.Contains(key)) continue;
            bool? on = Bool(opts[key]) ?? throw new ImageException($"Parameter '{key}' expects 'on' or 'off'");
            if (key == "force-share" && on == true) options = options with { ForceShare = true };
            opts.Remove(key);
        }
        foreach (string key in OtherBlockOptions) opts.Remove(key);

        string? driver = opts.Contains("driver") ? opts["driver"] as string : null;
        opts.Remove("driver");
        ImageFormat? format = null;
        if (driver is not null)
        {
            if (driver == "file")
                throw new ImageException("the 'file' protocol driver cannot be opened as an image here; give a format driver with file.filename");
            format = context.Formats.Find(driver) ?? throw new ImageException($"Unknown driver '{driver}'");
        }

        if (opts.Contains("file"))
        {
            if (opts.HasUnder("file"))
                throw new ImageException("Cannot reference an existing block device with additional options or a new filename");
            string reference = BlockOptions.AsText(opts["file"]) ?? "";
            throw new ImageException($"Cannot find device='{reference}' nor node-name='{reference}'");
        }
        if (!opts.HasUnder("file"))
            throw new ImageException(driver is null ? "Must specify either driver or file" : "A block device must be specified for \"file\"");

        BlockOptions file = opts.Under("file");
        opts.RemoveUnder("file");
        string fileDriver = file.Contains("driver") ? BlockOptions.AsText(file["driver"]) ?? "" : "file";
        if (fileDriver != "file")
        {
            if (context.Formats.Find(fileDriver) is not null)
                throw new ImageException("A block device must be specified for \"file\"");
            throw new ImageException($"Unknown driver '{fileDriver}'");
        }
        if (!file.Contains("filename"))
            throw new ImageException("The 'file' block driver requires a file name");
        string path = BlockOptions.AsText(file["filename"]) ?? "";
        if (file.Contains("locking"))
        {
            string? locking = BlockOptions.AsText(file["locking"]);
            if (locking is not ("on" or "off" or "auto"))
                throw new ImageException($"invalid parameter value: {locking}");
            if (locking == "off") options = options with { NoLocking = true };
        }
        foreach (string key in BooleanBlockOptions)
        {
            if (!file.Contains(key)) continue;
            if (Bool(file[key]) is null) throw new ImageException($"Parameter '{key}' expects 'on' or 'off'");
            file.Remove(key);
        }
        foreach (string key in FileProtocolOptions.Concat(OtherBlockOptions)) file.Remove(key);
        if (file.Count > 0 && (File.Exists(path) || Directory.Exists(path)))
            throw new ImageException($"Block protocol 'file' doesn't support the option '{file.FirstInQDictOrder()}'");

        Dictionary<string, string>? driverOptions = null;
        if (opts.Count > 0)
        {
            driverOptions = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string key in opts.Keys)
                driverOptions[key] = BlockOptions.AsText(opts[key]) ?? "null";
        }
        options = options with { Format = format?.Name, DriverOptions = driverOptions };
        return new ImageSpec(path, format?.Name, options, opts);
    }

    /// <summary>
    /// The name qemu gives the opened image (bdrv_refresh_filename): the file's name, or a json: name of the driver,
    /// its strong options and the file child when any strong option is set.
    /// </summary>
    public string DisplayName(ImageFormat format, string fileName)
    {
        string formatName = format.Name;
        var strongKeys = format.StrongRuntimeOptions;
        if (strongKeys.Count == 0)
            return fileName;
        var members = new List<KeyValuePair<string, object?>> { new("driver", formatName) };
        foreach (string strong in strongKeys)
            foreach (string key in Strong.Keys)
                if (key.StartsWith(strong, StringComparison.Ordinal))
                    members.Add(new(key, Strong[key]));
        if (members.Count == 1)
            return fileName;
        members.Add(new("file", new List<KeyValuePair<string, object?>> { new("driver", "file"), new("filename", fileName) }));
        var sb = new StringBuilder(JsonFilename.Prefix);
        WriteCompact(sb, members);
        return sb.ToString();
    }

    private static bool? Bool(object? value) => value switch
    {
        bool b => b,
        "on" => true,
        "off" => false,
        _ => null,
    };

    /// <summary>qemu's qobject_to_json: {"key": value, ...} in QDict order.</summary>
    private static void WriteCompact(StringBuilder sb, List<KeyValuePair<string, object?>> members)
    {
        var byKey = members.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        sb.Append('{');
        bool first = true;
        foreach (string key in QDictOrder.Order(members.Select(m => m.Key)))
        {
            if (!first) sb.Append(", ");
            first = false;
            QemuJsonText.AppendQuoted(sb, key);
            sb.Append(": ");
            switch (byKey[key])
            {
                case List<KeyValuePair<string, object?>> nested: WriteCompact(sb, nested); break;
                case string s: QemuJsonText.AppendQuoted(sb, s); break;
                case bool b: sb.Append(b ? "true" : "false"); break;
                case null: sb.Append("null"); break;
                case var other: sb.Append(BlockOptions.AsText(other)); break;
            }
        }
        sb.Append('}');
    }
}
