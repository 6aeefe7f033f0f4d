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
