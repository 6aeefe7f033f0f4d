using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>rebase [--object OBJ] [--image-opts] [-U] [-q] [-f FMT] [-t CACHE] [-T SRC_CACHE] [-p] [-u] -b BACKING_FILE [-F BACKING_FMT] FILENAME</summary>
public sealed class RebaseCommand : ICommand
{
    public string Name => "rebase";

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("object", ArgKind.Required, OptionObject),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("force-share", ArgKind.None, 'U'),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null, backing = null, backingFmt = null;
        string cache = "writeback", srcCache = "writeback";
        bool isUnsafe = false, progress = false, quiet = false, imageOpts = false;
        var objects = new ObjectOption();
        var g = new GetOpt(argv, ":hf:F:b:upt:T:qU", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': fmt = g.Optarg; break;
                case 'F': backingFmt = g.Optarg; break;
                case 'b': backing = g.Optarg; break;
                case 'u': isUnsafe = true; break;
                case 'p': progress = true; break;
                case 't': cache = g.Optarg!; break;
                case 'T': srcCache = g.Optarg!; break;
                case 'q': quiet = true; break;
                case 'U': break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };
        if (quiet) progress = false;
        if (g.Operands.Count != 1)
            throw new UsageException("Expecting one image file name");
        if (!isUnsafe && backing is null)
            throw new UsageException("Must specify backing file (-b) or use unsafe mode (-u)");
        if (!IsValidCacheMode(cache))
        {
            io.Error($"Invalid cache option: {cache}");
            return 1;
        }
        if (!IsValidCacheMode(srcCache))
        {
            io.Error($"Invalid source cache option: {srcCache}");
            return 1;
        }
        string filename = g.Operands[0];
        context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, fmt, filename) };

        using var bar = new ProgressPrinter(io.Out, progress, 2.0f, io.Err);
        double last = 0;
        try
        {
            ImageRebaser.Rebase(context.Engine, new RebaseRequest
            {
                Filename = filename, Format = fmt, BackingFile = backing ?? "", BackingFormat = backingFmt, Unsafe = isUnsafe,
                Progress = p => { bar.Advance(p - last); last = p; },
            });
        }
        finally
        {
            bar.End();
        }
        return 0;
    }
}
