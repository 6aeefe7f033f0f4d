using System.Text.Json.Serialization;

namespace ImageBuild.Recipes.Cache.Remote;

/// <summary>
/// The JSON of a step-cache config blob, generated at compile time (no reflection): camelCase, nulls left out, no
/// whitespace, at most 8 levels deep when read.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, MaxDepth = 8)]
[JsonSerializable(typeof(StepRecordConfig))]
internal sealed partial class StepRecordConfigJson : JsonSerializerContext;
