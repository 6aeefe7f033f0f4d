using System.Globalization;
using Cake.Core.Diagnostics;

namespace Cake.ImageBuild.Tests.Fakes;

/// <summary>An <see cref="ICakeLog"/> that keeps what it would print at its verbosity (as Cake's console log filters).</summary>
public sealed class CapturingCakeLog(Verbosity verbosity = Verbosity.Normal) : ICakeLog
{
    private readonly Lock _gate = new();
    private readonly List<LogEntry> _entries = [];

    public Verbosity Verbosity { get; set; } = verbosity;

    public IReadOnlyList<LogEntry> Entries
    {
        get { lock (_gate) return _entries.ToList(); }
    }

    /// <summary>The printed text, one entry a line.</summary>
    public string Text => string.Join('\n', Entries.Select(e => e.Message));

    public void Write(Verbosity verbosity, LogLevel level, string format, params object[] args)
    {
        if (verbosity > Verbosity) return;
        string message = args.Length == 0 ? format : string.Format(CultureInfo.InvariantCulture, format, args);
        lock (_gate) _entries.Add(new LogEntry(verbosity, level, message));
    }
}

public sealed record LogEntry(Verbosity Verbosity, LogLevel Level, string Message);
