using System.Globalization;

namespace ImageBuild.Engine.Block;

/// <summary>
/// Open options as qemu's flattened QDict holds them (dotted keys such as <c>file.filename</c>, insertion order kept,
/// a later key replacing an earlier one in place): from --image-opts (all values strings) or a json: filename (strings,
/// numbers, booleans and null). Values are string, long, double, bool or null (JSON null).
/// </summary>
public sealed class BlockOptions
{
    private readonly List<string> _keys = [];
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

    /// <summary>Keys in insertion order.</summary>
    public IReadOnlyList<string> Keys => _keys;

    public int Count => _keys.Count;

    public bool Contains(string key) => _values.ContainsKey(key);

    public object? this[string key] => _values[key];

    /// <summary>Sets a key; an existing key keeps its place (qdict_put replaces in place).</summary>
    public void Put(string key, object? value)
    {
        if (!_values.ContainsKey(key)) _keys.Add(key);
        _values[key] = value;
    }

    /// <summary>Adds a key only when absent (qdict_join without overwrite).</summary>
    public void PutIfAbsent(string key, object? value)
    {
        if (!_values.ContainsKey(key)) Put(key, value);
    }

    public bool Remove(string key)
    {
        if (!_values.Remove(key)) return false;
        _keys.Remove(key);
        return true;
    }

    /// <summary>The value as qemu's QemuOpts would see it as text (numbers in decimal, booleans on/off).</summary>
    public static string? AsText(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "on" : "off",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>The keys under <paramref name="prefix"/> + '.', without it, in insertion order.</summary>
    public BlockOptions Under(string prefix)
    {
        var sub = new BlockOptions();
        string p = prefix + ".";
        foreach (var key in _keys)
            if (key.StartsWith(p, StringComparison.Ordinal))
                sub.Put(key[p.Length..], _values[key]);
        return sub;
    }

    /// <summary>Removes every key under <paramref name="prefix"/> + '.'.</summary>
    public void RemoveUnder(string prefix)
    {
        string p = prefix + ".";
        foreach (var key in _keys.Where(k => k.StartsWith(p, StringComparison.Ordinal)).ToList())
            Remove(key);
    }

    public bool HasUnder(string prefix) => _keys.Any(k => k.StartsWith(prefix + ".", StringComparison.Ordinal));

    /// <summary>The first key in QDict iteration order (what qemu names among leftover options).</summary>
    public string? FirstInQDictOrder() => _keys.Count == 0 ? null : QDictOrder.Order(_keys)[0];
}
