using System.Text;
using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Commands;
using ImageBuild.Cli.Output;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Cli;

/// <summary>
/// imagebuild: qemu-img's command line. <see cref="Run"/> is the whole program over two writers so tests can run
/// it in-process; <see cref="Main"/> binds it to the console.
/// </summary>
public static class Program
{
    private static readonly LongOption[] GlobalLongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("version", ArgKind.None, 'V'),
        new("trace", ArgKind.Required, 'T'),
    ];

    public static int Main(string[] args)
    {
        MallocArenas.Limit();
        var encoding = new UTF8Encoding(false);
        using var stdout = new StreamWriter(Console.OpenStandardOutput(), encoding, 65536) { AutoFlush = false };
        using var stderr = new StreamWriter(Console.OpenStandardError(), encoding) { AutoFlush = true };
        int rc = Run(args, stdout, stderr);
        SafeFlush(stdout);
        return rc;
    }

    /// <summary>Runs imagebuild with <paramref name="args"/> (without the program name); returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var io = new CliIO(stdout, stderr);
        // identifiers and timestamps of new images: random and now as qemu's, reproducible under SOURCE_DATE_EPOCH
        var engine = ImageContext.CreateDefault(io.EngineWarning, io.Diagnostic).WithIdentity(IdentitySource.FromEnvironment());
        try
        {
            return Dispatch(io, engine, args);
        }
        catch (UsageException e)
        {
            io.Error(e.Message);
            stderr.Write($"Try '{CliIO.ProgramName} --help' for more information\n");
            return 1;
        }
        catch (HelpRequestedException e)
        {
            io.Print(e.Command is not null && CommandHelp.For(e.Command) is { } help
                ? help.Render() : HelpText.Global(engine.Formats));
            return 0;
        }
        catch (CommandExitException e)
        {
            return e.ExitCode;
        }
        catch (ErrorReportsException e)
        {
            foreach (string line in e.Reports)
                io.Error(line);
            return 1;
        }
        catch (Exception e) when (ResourceExhaustion.Describe(e) is { } line)
        {
            io.Error(line);
            return 1;
        }
        catch (ImageException e)
        {
            io.Error(e.Message);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Error(e.Message);
            return 1;
        }
#pragma warning disable CA1031 // the last resort: no stack trace may reach the user
        catch (Exception e)
        {
            io.Error($"internal error: {e.GetType().Name}: {e.Message}");
            return 1;
        }
#pragma warning restore CA1031
        finally
        {
            SafeFlush(stdout);
        }
    }

    /// <summary>Flushes stdout; a reader that went away (EPIPE) is not an error worth a second report.</summary>
    private static void SafeFlush(TextWriter writer)
    {
        try
        {
            writer.Flush();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>imagebuild's own option, beyond qemu-img: images are untrusted (<see cref="ImageFilePolicy.Untrusted"/>).</summary>
    public const string UntrustedOption = "--untrusted";

    /// <summary>
    /// Takes --untrusted out of the arguments (before "--"), wherever it is: before the command as a standard option
    /// or among the command's options, so each command's qemu-compatible parser never sees it.
    /// </summary>
    private static bool TakeUntrusted(ref string[] args)
    {
        int end = Array.IndexOf(args, "--");
        if (end < 0) end = args.Length;
        if (Array.IndexOf(args, UntrustedOption, 0, end) < 0) return false;
        args = [.. args[..end].Where(a => a != UntrustedOption), .. args[end..]];
        return true;
    }

    /// <summary>
    /// imagebuild's own option, beyond qemu-img: images opened for reading are read without their backing file
    /// (<see cref="ImageContext.ReadWithoutBacking"/>, qemu's backing=null), e.g. a differencing VHD whose parent is absent.
    /// </summary>
    public const string NoBackingOption = "--no-backing";

    /// <summary>The commands that open images for reading and take <see cref="NoBackingOption"/>.</summary>
    internal static readonly string[] NoBackingCommands = ["info", "map", "convert", "compare", "check", "dd", "measure"];

    /// <summary>
    /// Takes --no-backing out of a command's options (before "--") when the command is one that reads images; for
    /// others it stays, and the command's parser refuses it as an unrecognized option.
    /// </summary>
    private static bool TakeNoBacking(ref string[] commandArgv)
    {
        if (Array.IndexOf(NoBackingCommands, commandArgv[0]) < 0)
            return false;
        int end = Array.IndexOf(commandArgv, "--");
        if (end < 0) end = commandArgv.Length;
        if (Array.IndexOf(commandArgv, NoBackingOption, 1, end - 1) < 0) return false;
        commandArgv = [commandArgv[0], .. commandArgv[1..end].Where(a => a != NoBackingOption), .. commandArgv[end..]];
        return true;
    }

    private static int Dispatch(CliIO io, ImageContext engine, string[] args)
    {
        if (TakeUntrusted(ref args))
            engine = engine.WithFilePolicy(ImageFilePolicy.Untrusted);
        if (args.Length < 1)
            throw new UsageException("Not enough arguments");

        string[] argv = ["imagebuild", .. args];
        var g = new GetOpt(argv, "+:hVT:", GlobalLongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'h':
                    throw new HelpRequestedException();
                case 'V':
                    io.Print(HelpText.VersionText);
                    return 0;
                case 'T':
                    break; // tracing is accepted and ignored
                default:
                    CommonArgs.HandleCommon(c, g);
                    break;
            }
        }
        if (g.Optind >= argv.Length)
            return 0;

        string name = argv[g.Optind];
        string[] commandArgv = argv[g.Optind..];
        ICommand command = CommandTable.Find(name) ?? throw new UsageException($"Command not found: {name}");
        if (TakeNoBacking(ref commandArgv))
            engine = engine.WithoutBackingForReads();
        if (command is RecipeCommand && engine.FilePolicy == ImageFilePolicy.Untrusted)
            commandArgv = [.. commandArgv, UntrustedOption];
        using var events = OperationEvents.Take(name, ref commandArgv, io);
        return events is null
            ? command.Run(new CommandContext(io, engine), commandArgv)
            : events.Run(() => command.Run(new CommandContext(events.IO, engine), commandArgv));
    }
}
