namespace ImageBuild.Cli.CommandLine;

/// <summary>Where a command prints: stdout and stderr, with qemu-img's "program: message" error style.</summary>
public sealed class CliIO(TextWriter stdout, TextWriter stderr)
{
    public const string ProgramName = "imagebuild";

    public TextWriter Out { get; } = stdout;
    public TextWriter Err { get; } = stderr;

    /// <summary>qemu's error_report: "imagebuild: message" on stderr (continuation lines printed as they are).</summary>
    public void Error(string message)
    {
        Out.Flush();
        Err.Write($"{ProgramName}: {message}\n");
        Err.Flush();
    }

    /// <summary>qemu's warn_report.</summary>
    public void Warning(string message) => Error($"warning: {message}");

    /// <summary>
    /// An engine warning: the raw-probing "WARNING: ..." block is printed verbatim, as qemu does;
    /// anything else gets the program prefix (engine warnings carry their own "warning: " word).
    /// </summary>
    public void EngineWarning(string message)
    {
        if (message.StartsWith("WARNING:", StringComparison.Ordinal))
        {
            Out.Flush();
            Err.Write(message + "\n");
            Err.Flush();
        }
        else
        {
            Error(message);
        }
    }

    /// <summary>A line qemu prints with a plain fprintf(stderr): no program prefix.</summary>
    public void Diagnostic(string line)
    {
        Out.Flush();
        Err.Write(line + "\n");
    }

    /// <summary>stdout text (qemu's printf).</summary>
    public void Print(string text) => Out.Write(text);
}

/// <summary>
/// qemu-img's error_exit: the message, then "Try 'imagebuild --help' for more information", exit 1.
/// Thrown by commands; printed by <see cref="Program"/>.
/// </summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A command has already reported its failure; leave with this exit code.</summary>
public sealed class CommandExitException(int exitCode) : Exception($"exit {exitCode}")
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// -h/--help: print the help and exit 0. <paramref name="command"/> names the verb whose own help (qemu-img 10.1's
/// per-command --help) is wanted; null for the global help (qemu-img 7.2's, e.g. measure's bad options).
/// </summary>
public sealed class HelpRequestedException(string? command = null) : Exception("help")
{
    public string? Command { get; } = command;
}
