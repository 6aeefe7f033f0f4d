namespace ImageBuild.Engine.Block;

/// <summary>
/// qemu's json: pseudo-protocol (parse_json_filename): "json:" and a JSON object of open options, flattened to dotted
/// keys as qdict_flatten does (nested objects "file": {"filename": ..} become file.filename, list items key.0, key.1;
/// empty objects and lists stay values). Messages are qemu's, to be prefixed with "Could not open 'NAME': ".
/// </summary>
public static class JsonFilename
{
    public const string Prefix = "json:";

    public static bool Is(string name) => name.StartsWith(Prefix, StringComparison.Ordinal);

    public static BlockOptions Parse(string name)
    {
        object? value;
        try
        {
            value = QemuJsonParser.Parse(name[Prefix.Length..]);
        }
        catch (ImageException e)
        {
            throw new ImageException($"Could not parse the JSON options: {e.Message}", e);
        }
        if (value is not QemuJsonParser.JsonObject obj)
            throw new ImageException("Invalid JSON object given");
        var options = new BlockOptions();
        Flatten(options, null, obj);
        return options;
    }

    private static void Flatten(BlockOptions target, string? prefix, IEnumerable<KeyValuePair<string, object?>> members)
    {
        foreach (var (key, value) in members)
        {
            string full = prefix is null ? key : $"{prefix}.{key}";
            switch (value)
            {
                case QemuJsonParser.JsonObject o when o.Count > 0:
                    Flatten(target, full, o);
                    break;
                case List<object?> l when l.Count > 0:
                    Flatten(target, full, l.Select((v, i) => new KeyValuePair<string, object?>(i.ToString(System.Globalization.CultureInfo.InvariantCulture), v)));
                    break;
                default:
                    target.Put(full, value);
                    break;
            }
        }
    }
}
