using System.Globalization;
using System.Text.Json;

namespace ImageBuild.Recipes.Events;

/// <summary>JSON lines, one event per line, for machines.</summary>
public sealed class JsonLinesEventWriter(TextWriter writer) : IRecipeEventSink
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public void OnEvent(RecipeEvent e)
    {
        writer.WriteLine(JsonSerializer.Serialize(e, Options));
        writer.Flush();
    }
}

/// <summary>
/// Plain progress lines for people and logs: one line when a step starts, is skipped, finishes or fails, and a
/// progress line at most every 10 percent (no carriage-return redraws, so logs stay readable).
/// With <paramref name="explain"/>, each line says why the step ran or was skipped.
/// </summary>
public sealed class PlainTextEventWriter(TextWriter writer, bool explain) : IRecipeEventSink
{
    private readonly Dictionary<string, int> _lastDecile = new(StringComparer.Ordinal);

    public void OnEvent(RecipeEvent e)
    {
        string? line = e.Type switch
        {
            "start" => $"run   {e.Step} ({e.Kind})" + (explain ? $": {e.Message}" : ""),
            "skip" => $"skip  {e.Step} ({e.Kind})" + (explain ? $": {e.Message}" : ""),
            "progress" => Progress(e),
            "done" => $"done  {e.Step} in {e.Seconds?.ToString("0.00", CultureInfo.InvariantCulture)} s" + (e.Output is null ? "" : $" -> {e.Output}") + (e.Message is null ? "" : $" ({e.Message})"),
            "fail" => $"FAIL  {e.Step}: {e.Message}",
            "blocked" => $"stop  {e.Step}: {e.Message}",
            "plan" => $"{e.Message}",
            "prune" => $"prune {e.Step}: {e.Message}",
            "warning" => $"warning: {e.Message}",
            "finish" => e.Message,
            _ => null,
        };
        if (line is null) return;
        writer.WriteLine(line);
        writer.Flush();
    }

    private string? Progress(RecipeEvent e)
    {
        int decile = (int)((e.Percent ?? 0) / 10);
        string key = e.Step ?? "";
        if (_lastDecile.TryGetValue(key, out int last) && decile <= last) return null;
        _lastDecile[key] = decile;
        return decile is 0 or 10 ? null : $"      {e.Step} {decile * 10}%";
    }
}

/// <summary>Fans events out to several sinks, one event at a time.</summary>
public sealed class EventHub(IEnumerable<IRecipeEventSink> sinks)
{
    private readonly List<IRecipeEventSink> _sinks = sinks.ToList();
    private readonly Lock _gate = new();

    public void Emit(RecipeEvent e)
    {
        lock (_gate)
            foreach (var s in _sinks) s.OnEvent(e);
    }
}
