using System.Runtime.InteropServices;
using ImageBuild.Recipes.Cli;

namespace ImageBuild.Cli.Commands;

/// <summary>
/// imagebuild's own verbs for recipes (run, plan, validate): a thin host over ImageBuild.Recipes. The first Ctrl-C
/// (SIGINT, or SIGTERM) cancels the run: the running steps stop at their next progress report and their partial
/// outputs are deleted before the one-line report; a second Ctrl-C ends the process at once.
/// </summary>
public sealed class RecipeCommand(string verb) : ICommand
{
    public string Name => verb;

    public int Run(CommandContext context, string[] argv)
    {
        if (argv.Skip(1).Any(a => a is "-h" or "--help"))
        {
            context.IO.Print(CommandHelp.For(verb)!.Render(imageCommand: false));
            return 0;
        }
        context.IO.Out.Flush();
        using var interrupt = new CancellationTokenSource();
        void Cancel(PosixSignalContext signal)
        {
            if (interrupt.IsCancellationRequested) return; // the second one: the default action
            signal.Cancel = true;
            interrupt.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        bool terminal = IsTerminal(context.IO.Out);
        var console = new RecipeConsole { Terminal = terminal, Width = terminal ? Width() : 80, Cancellation = interrupt.Token };
        int rc = RecipeCli.Run(verb, argv[1..], context.IO.Out, context.IO.Err, console);
        context.IO.Out.Flush();
        return rc;
    }

    private static int Width()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 80; }
        catch (IOException) { return 80; }
    }

    /// <summary>The process's own stdout on a terminal (not a test's writer, not a pipe or file, not TERM=dumb).</summary>
    private static bool IsTerminal(TextWriter output) =>
        output is StreamWriter && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
}
