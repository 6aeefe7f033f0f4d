using System.Globalization;
using ImageBuild.Recipes.Events;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ImageBuild.Tasks;

/// <summary>
/// Recipe events as build messages: one line per step when it starts, is up to date, is pulled from or pushed to the remote step cache, finishes, is
/// blocked or pruned
/// (Normal importance, visible with -v:n), the run's closing summary (High, visible with -v:m), progress every
/// 10 percent (Low, -v:d). Failures are not repeated here: they come back as coded errors from the host result.
/// </summary>
internal sealed class MSBuildEventSink(TaskLoggingHelper log, string prefix) : IRecipeEventSink
{
    private readonly Dictionary<string, int> _lastDecile = new(StringComparer.Ordinal);

    public void OnEvent(RecipeEvent e)
    {
        switch (e.Type)
        {
            case "start":
                Message(MessageImportance.Normal, $"run  {e.Step} ({e.Kind}): {e.Message}");
                break;
            case "skip":
                Message(MessageImportance.Normal, $"skip {e.Step} ({e.Kind}): {e.Message}");
                break;
            case "pull":
                Message(MessageImportance.Normal, $"pulled {e.Step} ({e.Kind}) {e.Message}" + (e.Reason is null ? "" : $": {e.Reason}"));
                break;
            case "push":
                Message(MessageImportance.Normal, $"pushed {e.Step} ({e.Kind}) {e.Message}");
                break;
            case "done":
                Message(MessageImportance.Normal, $"done {e.Step} in {e.Seconds?.ToString("0.00", CultureInfo.InvariantCulture)} s"
                    + (e.Output is null ? "" : $" -> {e.Output}") + (e.Message is null ? "" : $" ({e.Message})"));
                break;
            case "progress":
                Progress(e);
                break;
            case "fail":
                Message(MessageImportance.Low, $"FAIL {e.Step}: {e.Message}");
                break;
            case "blocked":
                Message(MessageImportance.Normal, $"stop {e.Step}: {e.Message}");
                break;
            case "prune":
                Message(MessageImportance.Normal, $"prune {e.Step}: {e.Message}");
                break;
            case "warning":
                log.LogWarning(null, null, null, e.File, e.Line ?? 0, e.Column ?? 0, 0, 0, e.Message ?? "");
                break;
            case "finish":
                Message(MessageImportance.High, e.Message ?? "finished");
                break;
            default:
                if (e.Message is not null) Message(MessageImportance.Low, e.Message);
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
            Message(MessageImportance.Low, $"     {e.Step} {decile * 10}%");
    }

    private void Message(MessageImportance importance, string text) =>
        log.LogMessage(importance, "{0}: {1}", prefix, text);
}
