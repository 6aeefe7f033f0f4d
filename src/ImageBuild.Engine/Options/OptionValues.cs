using System.Globalization;

namespace ImageBuild.Engine.Options;

/// <summary>
/// Parsed "-o name=value,..." values for one format, with typed access using qemu's parsing rules.
/// Keys are validated against the format's option table before a driver sees them.
/// </summary>
public sealed class OptionValues
{
    private readonly Dictionary<string, string> _values;

    public OptionValues(IEnumerable<KeyValuePair<string, string>>? values = null)
    {
        _values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (values is not null)
            foreach (var (k, v) in values)
                _values[k] = v;
    }

    public IReadOnlyDictionary<string, string> Raw => _values;

    public bool Has(string name) => _values.ContainsKey(name);

    public void Set(string name, string value) => _values[name] = value;

    public void Remove(string name) => _values.Remove(name);

    public string? GetString(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public long? GetSize(string name)
    {
        if (!_values.TryGetValue(name, out var v)) return null;
        return SizeParser.TryParse(v, out long n)
            ? n
            : throw new ImageException($"Parameter '{name}' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.");
    }

    public long? GetNumber(string name)
    {
        if (!_values.TryGetValue(name, out var v)) return null;
        return long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n)
            ? n
            : throw new ImageException($"Parameter '{name}' expects a number");
    }

    public bool? GetBool(string name)
    {
        if (!_values.TryGetValue(name, out var v)) return null;
        return v switch
        {
            "on" or "yes" or "true" or "y" => true,
            "off" or "no" or "false" or "n" => false,
            _ => throw new ImageException($"Parameter '{name}' expects 'on' or 'off'"),
        };
    }
}
