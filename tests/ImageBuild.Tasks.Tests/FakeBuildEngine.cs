using System.Collections;
using Microsoft.Build.Framework;

namespace ImageBuild.Tasks.Tests;

/// <summary>A build engine that records what tasks log, for unit tests (MSBuild's MockEngine, hand-written).</summary>
public sealed class FakeBuildEngine(string projectFile) : IBuildEngine
{
    private readonly Lock _gate = new();

    public List<BuildErrorEventArgs> Errors { get; } = [];
    public List<BuildWarningEventArgs> Warnings { get; } = [];
    public List<BuildMessageEventArgs> Messages { get; } = [];

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode => projectFile;

    public void LogErrorEvent(BuildErrorEventArgs e) { lock (_gate) Errors.Add(e); }
    public void LogWarningEvent(BuildWarningEventArgs e) { lock (_gate) Warnings.Add(e); }
    public void LogMessageEvent(BuildMessageEventArgs e) { lock (_gate) Messages.Add(e); }
    public void LogCustomEvent(CustomBuildEventArgs e) { }

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
        throw new NotSupportedException("the ImageBuild tasks build no other projects");

    /// <summary>Messages at <paramref name="importance"/> or more important (High is the most important).</summary>
    public IEnumerable<string> MessagesAtLeast(MessageImportance importance) =>
        Messages.Where(m => m.Importance <= importance).Select(m => m.Message ?? "");

    /// <summary>Each error as MSBuild prints it: "file(line,col): error CODE: message".</summary>
    public IEnumerable<string> ErrorLines => Errors.Select(e =>
        (e.File is null ? "" : e.LineNumber > 0 ? $"{e.File}({e.LineNumber},{e.ColumnNumber}): " : $"{e.File}: ") + $"error {e.Code}: {e.Message}");

    public string Log => string.Join("\n", ErrorLines.Concat(Warnings.Select(w => "warning: " + w.Message)).Concat(Messages.Select(m => m.Message)));
}
