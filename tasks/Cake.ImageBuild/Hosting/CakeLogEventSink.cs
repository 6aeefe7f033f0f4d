using System.Globalization;
using Cake.Core.Diagnostics;
using ImageBuild.Recipes.Events;

namespace Cake.ImageBuild.Hosting;

/// <summary>
/// Writes recipe events to Cake's log: one line per finished, skipped, pulled, pushed, failed or blocked step at Normal verbosity,
/// step starts and reasons at Verbose (Normal with explain), progress every 10 percent at Diagnostic,
/// warnings at Minimal and failures as errors.
/// </summary>
internal sealed class CakeLogEventSink(ICakeLog log, bool explain) : IRecipeEventSink
{
    private readonly Dictionary<string, int> _lastDecile = new(StringComparer.Ordinal);

    public void OnEvent(RecipeEvent e)
    {
        switch (e.Type)
        {
            case "start":
                Write(explain ? Verbosity.Normal : Verbosity.Verbose, LogLevel.Information, $"run   {e.Step} ({e.Kind}): {e.Message}");
                break;
            case "skip":
                Write(Verbosity.Normal, LogLevel.Information, $"skip  {e.Step} ({e.Kind})" + (explain ? $": {e.Message}" : ""));
                if (!explain) Write(Verbosity.Verbose, LogLevel.Verbose, $"      {e.Step}: {e.Message}");
                break;
            case "pull":
                Write(Verbosity.Normal, LogLevel.Information, $"pulled {e.Step} ({e.Kind}) {e.Message}" + (explain && e.Reason is not null ? $": {e.Reason}" : ""));
                if (!explain && e.Reason is not null) Write(Verbosity.Verbose, LogLevel.Verbose, $"      {e.Step}: {e.Reason}");
                break;
            case "push":
                Write(Verbosity.Normal, LogLevel.Information, $"pushed {e.Step} ({e.Kind}) {e.Message}");
                break;
            case "progress":
                Progress(e);
                break;
            case "done":
                Write(Verbosity.Normal, LogLevel.Information,
                    $"done  {e.Step} in {e.Seconds?.ToString("0.00", CultureInfo.InvariantCulture)} s"
                    + (e.Output is null ? "" : $" -> {e.Output}") + (e.Message is null ? "" : $" ({e.Message})"));
                break;
            case "fail":
                Write(Verbosity.Quiet, LogLevel.Error, "FAIL  " + (e.File is null ? "" : $"{e.File}:{e.Line}:{e.Column}: ") + $"{e.Step}: {e.Message}");
                break;
            case "blocked":
                Write(Verbosity.Minimal, LogLevel.Warning, $"stop  {e.Step}: {e.Message}");
                break;
            case "prune":
                Write(Verbosity.Verbose, LogLevel.Verbose, $"prune {e.Step}: {e.Message}");
                break;
            case "warning":
                Write(Verbosity.Minimal, LogLevel.Warning, $"warning: {e.Message}");
                break;
            case "plan":
            case "finish":
                if (e.Message is not null) Write(Verbosity.Normal, LogLevel.Information, e.Message);
                break;
        }
    }

    private void Progress(RecipeEvent e)
    {
        int decile = (int)((e.Percent ?? 0) / 10);
        string key = e.Step ?? "";
        if (_lastDecile.TryGetValue(key, out int last) && decile <= last) return;
        _lastDecile[key] = decile;
        if (decile is > 0 and < 10)
            Write(Verbosity.Diagnostic, LogLevel.Debug, $"      {e.Step} {decile * 10}%");
    }

    // Messages are passed as an argument, never as the format: image names and reasons may contain braces.
    private void Write(Verbosity verbosity, LogLevel level, string message) => log.Write(verbosity, level, "{0}", message);
}
