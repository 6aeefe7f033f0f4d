using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>amend [--object OBJ] [--image-opts] [-p] [-q] [-f FMT] [-t CACHE] [--force] -o OPTIONS FILENAME</summary>
public sealed class AmendCommand : ICommand
{
    public string Name => "amend";

    private const int OptionForce = 300;

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("object", ArgKind.Required, OptionObject),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("force", ArgKind.None, OptionForce),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null, options = null;
        string cache = "writeback";
        bool progress = false, quiet = false, imageOpts = false, force = false;
        var objects = new ObjectOption();
        var g = new GetOpt(argv, ":ho:f:t:pq", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'o': options = OptionList.Accumulate(io, options, g.Optarg!); break;
                case 'f': fmt = g.Optarg; break;
                case 't': cache = g.Optarg!; break;
                case 'p': progress = true; break;
                case 'q': quiet = true; break;
                case OptionForce: force = true; break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };
        if (options is null)
            throw new UsageException("Must specify options (-o)");
        if (quiet) progress = false;
        var bar = new ProgressPrinter(io.Out, progress, 1.0f);
        try
        {
            return Run(context, g, fmt, options, cache, imageOpts, force, bar);
        }
        finally
        {
            bar.End();
        }
    }

    private static int Run(CommandContext context, GetOpt g, string? fmt, string options, string cache, bool imageOpts, bool force, ProgressPrinter bar)
    {
        var io = context.IO;
        string? filename = g.Operands.Count == 1 ? g.Operands[0] : null;
        if (fmt is not null && OptionList.HasHelp(options))
            return PrintHelp(context, fmt);
        if (filename is null)
        {
            io.Error("Expecting one image file name");
            return 1;
        }
        context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, fmt, filename) };
        if (!IsValidCacheMode(cache))
        {
            io.Error($"Invalid cache option: {cache}");
            return 1;
        }
        if (OptionList.HasHelp(options))
            return PrintHelp(context, ImageAmender.DetectFormat(context.Engine, filename, fmt));
        ImageAmender.Amend(context.Engine, new AmendRequest
        {
            Filename = filename, Format = fmt, Options = OptionList.Parse(options), Force = force,
            UnsafeCache = cache == "unsafe", Progress = bar.SetAbsolute,
        });
        return 0;
    }

    /// <summary>print_amend_option_help.</summary>
    private static int PrintHelp(CommandContext context, string fmt)
    {
        var io = context.IO;
        IReadOnlyList<Engine.Options.CreateOption> list;
        try
        {
            list = ImageAmender.AmendOptionsOf(context.Engine, fmt);
        }
        catch (ImageException e)
        {
            io.Error(e.Message);
            return 1;
        }
        io.Print($"Amend options for '{fmt}':\n");
        io.Print(OptionHelpPresenter.List(list));
        return 0;
    }
}
