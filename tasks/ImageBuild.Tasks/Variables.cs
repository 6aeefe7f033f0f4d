namespace ImageBuild.Tasks;

/// <summary>Parses "name=value;name=value" (the recipe's --set) as MSBuild users write it in a property or metadata.</summary>
internal static class Variables
{
    /// <summary>Adds the pairs of <paramref name="text"/> to <paramref name="into"/> (later ones win); returns the
    /// first malformed entry, or null.</summary>
    public static string? ParseInto(string? text, Dictionary<string, string> into)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        foreach (string raw in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = raw.IndexOf('=');
            if (eq <= 0) return raw;
            into[raw[..eq].Trim()] = raw[(eq + 1)..].Trim();
        }
        return null;
    }

    /// <summary>"NAME=VALUE" entries (a qemu -o option each) as pairs; returns the first malformed entry, or null.</summary>
    public static string? ParseOptions(string[]? entries, List<KeyValuePair<string, string>> into)
    {
        foreach (string raw in entries ?? [])
        {
            string entry = raw.Trim();
            if (entry.Length == 0) continue;
            int eq = entry.IndexOf('=');
            if (eq <= 0) return entry;
            into.Add(new(entry[..eq], entry[(eq + 1)..]));
        }
        return null;
    }
}
