using System.Text.Json.Serialization;

namespace ImageBuild.Recipes.Events;

/// <summary>
/// One thing that happened during a plan or run, for hosts (MSBuild, Cake, CI logs). Serialised one per line as
/// JSON ("event" names: plan, start, skip, pull, push, progress, done, fail, blocked, prune, warning, finish).
/// </summary>
public sealed record RecipeEvent
{
    [JsonPropertyName("event")] public required string Type { get; init; }
    [JsonPropertyName("step")] public string? Step { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }
    /// <summary>Why a step runs or is skipped, or what failed.</summary>
    [JsonPropertyName("message")] public string? Message { get; init; }
    /// <summary>Why a step was pulled from the step cache rather than built (pull events, shown by --explain).</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }
    [JsonPropertyName("percent")] public double? Percent { get; init; }
    [JsonPropertyName("seconds")] public double? Seconds { get; init; }
    [JsonPropertyName("output")] public string? Output { get; init; }
    /// <summary>For fail events on recipe errors: the recipe file, line and column.</summary>
    [JsonPropertyName("file")] public string? File { get; init; }
    [JsonPropertyName("line")] public int? Line { get; init; }
    [JsonPropertyName("column")] public int? Column { get; init; }
}

/// <summary>Receives events; called from worker threads, one event at a time per sink (the runner serialises calls).</summary>
public interface IRecipeEventSink
{
    void OnEvent(RecipeEvent e);
}
