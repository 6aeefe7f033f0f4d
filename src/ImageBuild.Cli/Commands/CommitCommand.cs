using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>commit [--object OBJ] [--image-opts] [-q] [-f FMT] [-t CACHE] [-b BASE] [-r RATE] [-d] [-p] FILENAME</summary>
public sealed class CommitCommand : ICommand
{
    public string Name => "commit";

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("object", ArgKind.Required, OptionObject),
        new("image-opts", ArgKind.None, OptionImageOpts),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null, baseName = null;
        string cache = "writeback";
        bool drop = false, progress = false, quiet = false, imageOpts = false;
        long rate = 0;
        var objects = new ObjectOption();
        var g = new GetOpt(argv, ":f:ht:b:dpqr:", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': fmt = g.Optarg; break;
                case 't': cache = g.Optarg!; break;
                case 'b': baseName = g.Optarg; drop = true; break;
                case 'd': drop = true; break;
                case 'p': progress = true; break;
                case 'q': quiet = true; break;
                case 'r': rate = ParseSize(io, "rate limit", g.Optarg!); break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };
        if (quiet) progress = false;
        if (g.Operands.Count != 1)
            throw new UsageException("Expecting one image file name");
        if (!IsValidCacheMode(cache))
        {
            io.Error($"Invalid cache option: {cache}");
            return 1;
        }
        string filename = g.Operands[0];
        context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, fmt, filename) };

        using var bar = new ProgressPrinter(io.Out, progress, 1.0f, io.Err);
        try
        {
            ImageCommitter.Commit(context.Engine, new CommitRequest
            {
                Filename = filename, Format = fmt, Base = baseName, Drop = drop, RateLimit = rate,
                Progress = bar.SetAbsolute, // a block job: qemu prints its absolute progress
            });
        }
        finally
        {
            bar.End();
        }
        if (!quiet) io.Print("Image committed.\n");
        return 0;
    }
}
