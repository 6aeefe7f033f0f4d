using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>check [--object OBJ] [--image-opts] [-q] [-f FMT] [--output=human|json] [-r leaks|all] [-T SRC_CACHE] [-U] FILENAME</summary>
public sealed class CheckCommand : ICommand
{
    public string Name => "check";

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("format", ArgKind.Required, 'f'),
        new("repair", ArgKind.Required, 'r'),
        new("output", ArgKind.Required, OptionOutput),
        new("object", ArgKind.Required, OptionObject),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("force-share", ArgKind.None, 'U'),
    ];

    /// <summary>Per-cluster diagnostics go to stderr, even with -q.</summary>
    private sealed class StderrLog(CliIO io) : ICheckLog
    {
        public void Message(string line)
        {
            io.Out.Flush();
            io.Err.Write(line + "\n");
        }

        public void Error(string message) => io.Error(message);
    }

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null, output = null;
        string cache = "writeback";
        var repair = CheckRepair.None;
        bool quiet = false, forceShare = false, imageOpts = false, writable = false;
        var objects = new ObjectOption();
        var g = new GetOpt(argv, ":hf:r:T:qU", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': fmt = g.Optarg; break;
                case 'r':
                    writable = true;
                    repair = g.Optarg switch
                    {
                        "leaks" => CheckRepair.Leaks,
                        "all" => CheckRepair.All,
                        _ => throw new UsageException($"Unknown option value for -r (expecting 'leaks' or 'all'): {g.Optarg}"),
                    };
                    break;
                case OptionOutput: output = g.Optarg; break;
                case 'T': cache = g.Optarg!; break;
                case 'q': quiet = true; break;
                case 'U': forceShare = true; break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };
        if (g.Operands.Count != 1)
            throw new UsageException("Expecting one image file name");
        string filename = g.Operands[0];
        bool json = ParseOutputIsJson(io, output);
        if (!IsValidCacheMode(cache))
        {
            io.Error($"Invalid source cache option: {cache}");
            return 1;
        }
        context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, fmt, filename, forceShare) };

        using var device = ImageOpener.Open(context.Engine, filename,
            new OpenOptions { Format = fmt, Writable = writable, ForceShare = forceShare, ForCheck = true });
        CheckOutcome outcome;
        try
        {
            outcome = ImageChecker.Check(device, repair, new StderrLog(io));
        }
        catch (CheckNotSupportedException e)
        {
            io.Error(e.Message);
            return 63;
        }
        catch (ImageException e)
        {
            if (e is CheckAbortedException { ErrorReport: { } report })
                io.Error(report);
            io.Error($"Check failed: {e.Message}");
            return 1;
        }

        var r = outcome.Result;
        if (outcome.Repaired && !json && !quiet)
            io.Print(CheckPresenter.RepairPreamble(r));
        if (!quiet)
            io.Print(json ? CheckPresenter.Json(r, filename, device.FormatName) : CheckPresenter.Human(r));

        if (r.CheckErrors != 0)
        {
            io.Error("Check failed");
            return 1;
        }
        return r.Corruptions != 0 ? 2 : r.Leaks != 0 ? 3 : 0;
    }
}
