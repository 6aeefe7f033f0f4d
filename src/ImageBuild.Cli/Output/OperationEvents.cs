using System.Diagnostics;
using System.Text;
using ImageBuild.Cli.CommandLine;
using ImageBuild.Recipes.Events;

namespace ImageBuild.Cli.Output;

/// <summary>
/// imagebuild's own option, beyond qemu-img: <c>--events FILE|-</c> on convert, commit, rebase and compare writes the
/// operation's progress as JSON lines in the recipe runner's event format (<see cref="RecipeEvent"/>): a <c>start</c>,
/// a <c>progress</c> event per whole percent reached (rising to 100 on success), then <c>done</c> or <c>fail</c>
/// (with the error message) and <c>finish</c>. With <c>-</c> the events are stdout and the command's own stdout
/// (-p's progress, compare's verdict) is left out, so every line parses; errors stay on stderr.
/// The option is taken out before the command's qemu-compatible parser runs, so it cannot clash with its options.
/// </summary>
public sealed class OperationEvents : IDisposable
{
    public const string Option = "--events";

    /// <summary>The verbs that take <see cref="Option"/>.</summary>
    public static readonly IReadOnlyList<string> Verbs = ["convert", "commit", "rebase", "compare"];

    private readonly string _verb;
    private readonly JsonLinesEventWriter _writer;
    private readonly TextWriter? _file;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _percent = -1;
    private string? _error;
    private string? _verdict;
    private bool _ended;

    private OperationEvents(string verb, TextWriter target, TextWriter? file)
    {
        _verb = verb;
        _file = file;
        _writer = new JsonLinesEventWriter(target);
    }

    /// <summary>The IO the command runs with: its stdout reports progress here, its error lines are remembered.</summary>
    public CliIO IO { get; private set; } = null!;

    /// <summary>
    /// Takes <c>--events FILE</c> / <c>--events=FILE</c> out of <paramref name="argv"/> (before "--") for the verbs that
    /// take it; null when it is not there. Throws <see cref="UsageException"/> without a value, IOException when FILE
    /// cannot be created.
    /// </summary>
    public static OperationEvents? Take(string verb, ref string[] argv, CliIO io)
    {
        if (!Verbs.Contains(verb)) return null;
        int end = Array.IndexOf(argv, "--");
        if (end < 0) end = argv.Length;
        string? target = null;
        var rest = new List<string>(argv.Length);
        for (int i = 0; i < argv.Length; i++)
        {
            string a = argv[i];
            if (i < end && a == Option)
            {
                if (i + 1 >= end) throw new UsageException($"option '{Option}' requires an argument");
                target = argv[++i];
            }
            else if (i < end && a.StartsWith(Option + "=", StringComparison.Ordinal))
                target = a[(Option.Length + 1)..];
            else
                rest.Add(a);
        }
        if (target is null) return null;
        argv = [.. rest];
        OperationEvents events;
        if (target == "-")
            events = new OperationEvents(verb, io.Out, null);
        else
        {
            var file = new StreamWriter(target, append: false, new UTF8Encoding(false));
            events = new OperationEvents(verb, file, file);
        }
        events.IO = new CliIO(new ProgressOutput(target == "-" ? TextWriter.Null : io.Out, events), new ErrorLines(io.Err, events));
        return events;
    }

    /// <summary>Runs the command, then reports how it ended (an exception is reported and passed on).</summary>
    public int Run(Func<int> command)
    {
        Emit(new RecipeEvent { Type = "start", Step = _verb, Kind = _verb });
        int rc;
        try
        {
            rc = command();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            End(false, _error ?? e.Message);
            throw;
        }
        // compare: 1 means the images differ, a result rather than a failure
        bool ok = _error is null && (rc == 0 || (_verb == "compare" && rc == 1));
        End(ok, ok ? (_verb == "compare" ? _verdict : null) : _error ?? $"exit code {rc}");
        return rc;
    }

    /// <summary>The operation's progress (0 to 100); whole percents, rising only.</summary>
    internal void Progress(double percent)
    {
        int whole = (int)Math.Clamp(percent, 0, 100);
        if (whole <= _percent) return;
        _percent = whole;
        Emit(new RecipeEvent { Type = "progress", Step = _verb, Kind = _verb, Percent = whole });
    }

    private void End(bool ok, string? message)
    {
        if (_ended) return;
        _ended = true;
        double seconds = _clock.Elapsed.TotalSeconds;
        if (ok)
        {
            Progress(100);
            Emit(new RecipeEvent { Type = "done", Step = _verb, Kind = _verb, Seconds = seconds, Message = message });
        }
        else
            Emit(new RecipeEvent { Type = "fail", Step = _verb, Kind = _verb, Seconds = seconds, Message = message });
        Emit(new RecipeEvent { Type = "finish", Seconds = seconds, Message = ok ? "ok" : "FAILED" });
    }

    private void Emit(RecipeEvent e) => _writer.OnEvent(e);

    public void Dispose() => _file?.Dispose();

    /// <summary>The first error line the command printed ("imagebuild: message"), without the program name.</summary>
    private void ErrorLine(string line)
    {
        const string prefix = CliIO.ProgramName + ": ";
        if (_error is null && line.StartsWith(prefix, StringComparison.Ordinal) && !line.StartsWith(prefix + "warning:", StringComparison.Ordinal))
            _error = line[prefix.Length..];
    }

    /// <summary>The command's stdout: what it prints passes through; <see cref="ProgressPrinter"/> reports here.</summary>
    /// <remarks>Its last whole line (compare's verdict) becomes the done event's message.</remarks>
    internal sealed class ProgressOutput(TextWriter inner, OperationEvents events) : TextWriter
    {
        private readonly StringBuilder _line = new();
        public OperationEvents Events => events;
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            inner.Write(value);
            switch (value)
            {
                case '\r': _line.Clear(); break; // -p's progress rewrites its line
                case '\n':
                    if (_line.Length > 0) events._verdict = _line.ToString();
                    _line.Clear();
                    break;
                default: _line.Append(value); break;
            }
        }

        public override void Write(string? value)
        {
            foreach (char c in value ?? "") Write(c);
        }

        public override void Flush() => inner.Flush();
    }

    /// <summary>The command's stderr, passed through; whole lines are shown to <see cref="ErrorLine"/>.</summary>
    private sealed class ErrorLines(TextWriter inner, OperationEvents events) : TextWriter
    {
        private readonly StringBuilder _line = new();
        public override Encoding Encoding => inner.Encoding;
        public override void Write(char value)
        {
            inner.Write(value);
            if (value != '\n')
            {
                _line.Append(value);
                return;
            }
            events.ErrorLine(_line.ToString());
            _line.Clear();
        }

        public override void Write(string? value)
        {
            foreach (char c in value ?? "") Write(c);
        }

        public override void Flush() => inner.Flush();
    }
}
