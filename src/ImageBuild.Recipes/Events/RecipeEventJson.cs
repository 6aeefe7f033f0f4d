using System.Text.Json.Serialization;

namespace ImageBuild.Recipes.Events;

/// <summary>The JSON line of one event, generated at compile time (no reflection): names from the attributes, nulls left out.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RecipeEvent))]
internal sealed partial class RecipeEventJson : JsonSerializerContext;
