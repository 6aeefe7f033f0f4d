namespace ImageBuild.Recipes.Model;

/// <summary>One step of a recipe: an id, a kind, its parameters (typed, located) and where it stands.</summary>
public sealed class RecipeStep
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required Mark Mark { get; init; }
    public required Mark KindMark { get; init; }
    public required IReadOnlyDictionary<string, ParamValue> Params { get; init; }

    public ParamValue? Get(string name) => Params.TryGetValue(name, out var v) ? v : null;

    public string? Text(string name) => (Get(name) as TextValue)?.Value;

    public long? Number(string name) => (Get(name) as NumberValue)?.Value;

    public bool Bool(string name, bool fallback = false) => Get(name) is BoolValue b ? b.Value : fallback;

    public IReadOnlyList<KeyValuePair<string, string>> Options(string name = "options") =>
        Get(name) is OptionsValue o ? o.Pairs : [];

    public Mark MarkOf(string name) => Get(name)?.Mark ?? Mark;

    /// <summary>The step's parameters as one mapping, read as a nested mapping is (a filesystem's fields, here or in a partition).</summary>
    public MapValue AsMap() => new(Params, Mark);
}
