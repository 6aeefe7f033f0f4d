namespace ImageBuild.Recipes.Model;

/// <summary>
/// A step parameter after variable substitution and type checking, normalised so that two spellings of the
/// same value ("1G" and "1073741824") give the same cache key.
/// </summary>
public abstract record ParamValue(Mark Mark)
{
    /// <summary>The canonical text used in cache keys and plans.</summary>
    public abstract string Canonical { get; }
}

public sealed record TextValue(string Value, Mark Mark) : ParamValue(Mark)
{
    public override string Canonical => Value;
}

public sealed record NumberValue(long Value, Mark Mark) : ParamValue(Mark)
{
    public override string Canonical => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed record BoolValue(bool Value, Mark Mark) : ParamValue(Mark)
{
    public override string Canonical => Value ? "true" : "false";
}

/// <summary>A list of step ids (after:).</summary>
public sealed record ListValue(IReadOnlyList<TextValue> Items, Mark Mark) : ParamValue(Mark)
{
    public override string Canonical => "[" + string.Join(",", Items.Select(i => i.Value)) + "]";
}

/// <summary>Format options in the order written, a later duplicate replacing an earlier one (qemu's -o rule).</summary>
public sealed record OptionsValue(IReadOnlyList<KeyValuePair<string, TextValue>> Items, Mark Mark) : ParamValue(Mark)
{
    public IReadOnlyList<KeyValuePair<string, string>> Pairs => Items.Select(p => new KeyValuePair<string, string>(p.Key, p.Value.Value)).ToList();

    public override string Canonical => "{" + string.Join(",", Items.Select(p => p.Key + "=" + p.Value.Value)) + "}";
}

/// <summary>A mapping of typed fields (a <see cref="Schema.ParamType.Map"/>), each located.</summary>
public sealed record MapValue(IReadOnlyDictionary<string, ParamValue> Fields, Mark Mark) : ParamValue(Mark)
{
    public ParamValue? Get(string name) => Fields.TryGetValue(name, out var v) ? v : null;

    public string? Text(string name) => (Get(name) as TextValue)?.Value;

    public long? Number(string name) => (Get(name) as NumberValue)?.Value;

    public bool Bool(string name, bool fallback = false) => Get(name) is BoolValue b ? b.Value : fallback;

    public IReadOnlyList<string> Texts(string name) => Get(name) is ListValue l ? l.Items.Select(i => i.Value).ToList() : [];

    public Mark MarkOf(string name) => Get(name)?.Mark ?? Mark;

    public override string Canonical => "{" + string.Join(",", Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + f.Value.Canonical)) + "}";
}

/// <summary>A list of mappings (a <see cref="Schema.ParamType.MapList"/>), in the order written.</summary>
public sealed record MapListValue(IReadOnlyList<MapValue> Items, Mark Mark) : ParamValue(Mark)
{
    public override string Canonical => "[" + string.Join(",", Items.Select(i => i.Canonical)) + "]";
}
