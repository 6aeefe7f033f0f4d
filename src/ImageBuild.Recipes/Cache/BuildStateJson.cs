using System.Text.Json.Serialization;

namespace ImageBuild.Recipes.Cache;

/// <summary>
/// The JSON of .imagebuild/state.json, generated at compile time (no reflection, so the natively compiled tool reads
/// it too): indented, camelCase, nulls left out.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BuildState))]
internal sealed partial class BuildStateJson : JsonSerializerContext;
