using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Json;

namespace ImageBuild.Recipes.Events;

/// <summary>JSON lines, one event per line, for machines.</summary>
public sealed class JsonLinesEventWriter(TextWriter writer) : IRecipeEventSink
{
    public void OnEvent(RecipeEvent e)
    {
        writer.WriteLine(JsonSerializer.Serialize(e, RecipeEventJson.Default.RecipeEvent));
        writer.Flush();
    }
}

/// <summary>
/// The human lines for events (all but progress), shared by the log and terminal writers. Content hashes are cut to
/// short prefixes (as git shows commits) unless <c>verbose</c>; with <c>explain</c>, run and skip lines say why.
/// </summary>
internal static partial class EventText
{
    public static string? Line(RecipeEvent e, bool explain, bool verbose)
    {
        string? line = e.Type switch
        {
            "start" => $"run   {e.Step} ({e.Kind})" + (explain ? $": {e.Message}" : ""),
            "skip" => $"skip  {e.Step} ({e.Kind})" + (explain ? $": {e.Message}" : ""),
            "pull" => $"pulled  {e.Step} ({e.Kind}) {e.Message}" + (explain && e.Reason is not null ? $": {e.Reason}" : ""),
            "push" => $"pushed  {e.Step} ({e.Kind}) {e.Message}",
            "done" => $"done  {e.Step} in {e.Seconds?.ToString("0.00", CultureInfo.InvariantCulture)} s" + (e.Output is null ? "" : $" -> {e.Output}") + (e.Message is null ? "" : $" ({e.Message})"),
            "fail" => $"FAIL  {e.Step}: {e.Message}",
            "blocked" => $"stop  {e.Step}: {e.Message}",
            "plan" => $"{e.Message}",
            "prune" => $"prune {e.Step}: {e.Message}",
            "warning" => $"warning: {e.Message}",
            "finish" => e.Message,
            _ => null,
        };
        return line is null || verbose ? line : ShortHashes(line);
    }

    /// <summary>"xxh128:" and 32 hex digits become the first 8 digits.</summary>
    public static string ShortHashes(string text) => FullHash().Replace(text, "$1");

    [GeneratedRegex("xxh128:([0-9a-f]{8})[0-9a-f]{24}")]
    private static partial Regex FullHash();
}

/// <summary>
/// Plain lines for logs (no terminal): one line when a step starts, is skipped, finishes or fails. Progress is
/// printed only for steps that have run at least a second, at most once per 10 percent, as whole lines (no
/// carriage-return redraws), so a CI log stays readable and quick steps print none. Once <paramref name="interrupted"/>
/// is cancelled the writer falls silent: the host says in one line what was interrupted.
/// </summary>
public sealed class PlainTextEventWriter(TextWriter writer, bool explain, bool verbose = false, Func<TimeSpan>? clock = null,
    CancellationToken interrupted = default) : IRecipeEventSink
{
    /// <summary>How long a step runs before its progress is worth a line.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    private readonly Func<TimeSpan> _clock = clock ?? StartClock();
    private readonly Dictionary<string, (TimeSpan Started, int Decile)> _running = new(StringComparer.Ordinal);

    private static Func<TimeSpan> StartClock()
    {
        var watch = Stopwatch.StartNew();
        return () => watch.Elapsed;
    }

    public void OnEvent(RecipeEvent e)
    {
        if (interrupted.IsCancellationRequested) return;
        string key = e.Step ?? "";
        if (e.Type == "start") _running[key] = (_clock(), 0);
        string? line = e.Type == "progress" ? Progress(key, e) : EventText.Line(e, explain, verbose);
        if (e.Type is "done" or "fail") _running.Remove(key);
        if (line is null) return;
        writer.WriteLine(line);
        writer.Flush();
    }

    private string? Progress(string key, RecipeEvent e)
    {
        if (!_running.TryGetValue(key, out var run)) return null;
        int decile = (int)((e.Percent ?? 0) / 10);
        if (decile <= run.Decile || decile >= 10 || _clock() - run.Started < Quiet) return null;
        _running[key] = run with { Decile = decile };
        return $"      {e.Step} {decile * 10}%";
    }
}

/// <summary>
/// For a terminal: the same lines as <see cref="PlainTextEventWriter"/>, and below them one live line with the
/// progress of every running step, in qemu-img -p's form ("    (42.00/100%) step"), rewritten in place with a
/// carriage return. The live line is cleared before any other line is printed and when the last step ends, so it never
/// mixes with them. The live line is cut to fit <paramref name="width"/> columns: a wrapped line could not be rewritten.
/// </summary>
public sealed class TerminalEventWriter(TextWriter writer, bool explain, bool verbose = false, CancellationToken interrupted = default,
    int width = 80) : IRecipeEventSink
{
    private readonly List<(string Step, double Percent)> _running = [];
    private int _liveLength;

    public void OnEvent(RecipeEvent e)
    {
        string key = e.Step ?? "";
        if (interrupted.IsCancellationRequested)
        {
            Clear();
            writer.Flush();
            return;
        }
        int at = _running.FindIndex(r => r.Step == key);
        switch (e.Type)
        {
            case "start":
                if (at < 0) _running.Add((key, 0));
                break;
            case "progress":
                if (at < 0) return;
                _running[at] = (key, e.Percent ?? 0);
                Draw();
                writer.Flush();
                return;
            case "done" or "fail":
                if (at >= 0) _running.RemoveAt(at);
                break;
        }
        if (EventText.Line(e, explain, verbose) is not { } line) return;
        Clear();
        writer.WriteLine(line);
        Draw();
        writer.Flush();
    }

    private void Draw()
    {
        if (_running.Count == 0) return;
        string live = string.Join("  ", _running.Select(r =>
            "    (" + r.Percent.ToString("0.00", CultureInfo.InvariantCulture) + "/100%) " + r.Step));
        int fits = Math.Max(20, width - 1);
        if (live.Length > fits) live = live[..(fits - 3)] + "...";
        writer.Write(live.PadRight(_liveLength) + "\r");
        _liveLength = live.Length;
    }

    private void Clear()
    {
        if (_liveLength == 0) return;
        writer.Write(new string(' ', _liveLength) + "\r");
        _liveLength = 0;
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
