using System.Globalization;
using ImageBuild.Cli.CommandLine;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>
/// bench [-c COUNT] [-d DEPTH] [-f FMT] [--flush-interval=N] [-i AIO] [-n] [--no-drain] [-o OFFSET] [--pattern=P] [-q]
/// [-s BUFSIZE] [-S STEP] [-t CACHE] [-w] [-U] FILENAME
/// </summary>
public sealed class BenchCommand : ICommand
{
    public string Name => "bench";

    private const int OptionFlushInterval = 310, OptionPattern = 311, OptionNoDrain = 312;

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("flush-interval", ArgKind.Required, OptionFlushInterval),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("pattern", ArgKind.Required, OptionPattern),
        new("no-drain", ArgKind.None, OptionNoDrain),
        new("force-share", ArgKind.None, 'U'),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null;
        string cache = "writeback";
        bool quiet = false, imageOpts = false;
        var r = new BenchRequest { Filename = "" };
        var g = new GetOpt(argv, ":hc:d:f:ni:o:qs:S:t:wU", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'c': r = r with { Count = PositiveInt(io, g.Optarg!, "Invalid request count specified") }; break;
                case 'd': r = r with { Depth = PositiveInt(io, g.Optarg!, "Invalid queue depth specified") }; break;
                case 'f': fmt = g.Optarg; break;
                case 'n': break; // native AIO: requests are synchronous here
                case 'i':
                    if (g.Optarg is not ("threads" or "native" or "io_uring"))
                    {
                        io.Error($"Invalid aio option: {g.Optarg}");
                        return 1;
                    }
                    break;
                case 'o': r = r with { Offset = ParseSize(io, "offset", g.Optarg!) }; break;
                case 'q': quiet = true; break;
                case 's': r = r with { BufferSize = (int)SizeInRange(io, "buffer size", g.Optarg!, 1) }; break;
                case 'S': r = r with { StepSize = (int)SizeInRange(io, "step_size", g.Optarg!, 0) }; break;
                case 't': cache = g.Optarg!; break;
                case 'w': r = r with { Write = true }; break;
                case 'U': r = r with { ForceShare = true }; break;
                case OptionFlushInterval: r = r with { FlushInterval = PositiveInt(io, g.Optarg!, "Invalid flush interval specified") }; break;
                case OptionPattern:
                    if (!int.TryParse(g.Optarg, NumberStyles.Integer, CultureInfo.InvariantCulture, out int p) || p < 0 || p > 0xff)
                    {
                        io.Error("Invalid pattern byte specified");
                        return 1;
                    }
                    r = r with { Pattern = (byte)p };
                    break;
                case OptionNoDrain: r = r with { NoDrain = true }; break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        if (g.Operands.Count != 1)
            throw new UsageException("Expecting one image file name");
        context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, fmt, g.Operands[0]) };
        if (!IsValidCacheMode(cache))
        {
            io.Error($"Invalid cache mode: {cache}");
            return 1;
        }
        ImageBench.Run(context.Engine, r with { Filename = g.Operands[0], Format = fmt }, line =>
        {
            if (!quiet) io.Print(line + "\n");
        });
        return 0;
    }

    private static int PositiveInt(CliIO io, string text, string message)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 1)
            return v;
        io.Error(message);
        throw new CommandExitException(1);
    }

    private static long SizeInRange(CliIO io, string what, string text, long min)
    {
        long v = ParseSize(io, what, text);
        if (v < min || v > int.MaxValue)
        {
            io.Error($"Invalid {what} specified. Must be between {min} and {int.MaxValue}.");
            throw new CommandExitException(1);
        }
        return v;
    }
}
