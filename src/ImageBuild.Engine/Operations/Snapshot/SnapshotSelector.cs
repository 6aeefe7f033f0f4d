namespace ImageBuild.Engine.Operations;

/// <summary>
/// A -l SNAPSHOT_PARAM of convert and measure: "snapshot.id=ID,snapshot.name=NAME" (qemu's internal snapshot
/// options, either may be left out) or, without the "snapshot." prefix, one id or name.
/// </summary>
public sealed record SnapshotSelector(string? Id, string? Name, string? IdOrName)
{
    private const string Prefix = "snapshot.";

    /// <summary>
    /// Parses the parameter as qemu_opts_parse does (",," is a literal comma; a key without "=" means "on";
    /// the last of repeated keys wins). An unknown key gives qemu's two error lines.
    /// </summary>
    public static SnapshotSelector Parse(string param) => Parse(param, null);

    /// <summary>
    /// As <see cref="Parse(string)"/>; <paramref name="warn"/> receives qemu's deprecation warning for a key given
    /// without "=" (qemu prints it while parsing, before checking the key).
    /// </summary>
    public static SnapshotSelector Parse(string param, Action<string>? warn)
    {
        if (!param.StartsWith(Prefix, StringComparison.Ordinal))
            return new SnapshotSelector(null, null, param);
        string? id = null, name = null;
        foreach (string part in SplitOptions(param))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? part : part[..eq];
            string value = eq < 0 ? "on" : part[(eq + 1)..];
            if (eq < 0)
                warn?.Invoke($"short-form boolean option '{key}' deprecated\nPlease use {key}=on instead");
            switch (key)
            {
                case "snapshot.id": id = value; break;
                case "snapshot.name": name = value; break;
                default:
                    throw new ErrorReportsException([$"Invalid parameter '{key}'", $"Failed in parsing snapshot param '{param}'"]);
            }
        }
        return new SnapshotSelector(id, name, null);
    }

    private static List<string> SplitOptions(string s)
    {
        var parts = new List<string>();
        var cur = new System.Text.StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == ',')
            {
                if (i + 1 < s.Length && s[i + 1] == ',')
                {
                    cur.Append(',');
                    i++;
                    continue;
                }
                parts.Add(cur.ToString());
                cur.Clear();
                continue;
            }
            cur.Append(s[i]);
        }
        // A trailing separator ends the list (qemu stops at the end of the string); other empty keys are invalid.
        if (cur.Length > 0 || parts.Count == 0) parts.Add(cur.ToString());
        return parts;
    }
}
