using ImageBuild.Cli.CommandLine;
using ImageBuild.Engine;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>resize [--object OBJ] [--image-opts] [-f FMT] [--preallocation=PREALLOC] [-q] [--shrink] FILENAME [+ | -]SIZE</summary>
public sealed class ResizeCommand : ICommand
{
    public string Name => "resize";

    private const int OptionPreallocation = 300, OptionShrink = 301;

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("object", ArgKind.Required, OptionObject),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("preallocation", ArgKind.Required, OptionPreallocation),
        new("shrink", ArgKind.None, OptionShrink),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        // qemu-img 7.2 takes the size from the last argument before option parsing, so "-1G" needs no "--".
        if (argv.Length < 3)
        {
            if (argv.Length == 2 && argv[1] is "-h" or "--help")
                throw new HelpRequestedException(Name);
            throw new UsageException("Not enough arguments");
        }
        string size = argv[^1];
        string? fmt = null, prealloc = null;
        bool quiet = false, shrink = false, imageOpts = false;
        var objects = new ObjectOption();
        var g = new GetOpt(argv[..^1], ":f:hq", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': fmt = g.Optarg; break;
                case 'q': quiet = true; break;
                case OptionPreallocation: prealloc = g.Optarg; break;
                case OptionShrink: shrink = true; break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };
        if (g.Operands.Count != 1)
            throw new UsageException("Expecting image file name and size");
        string filename = g.Operands[0];
        context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, fmt, filename) };
        try
        {
            ImageResizer.Resize(context.Engine, new ResizeRequest
            {
                Filename = filename, Format = fmt, Size = size, Shrink = shrink, Preallocation = prealloc,
            });
        }
        catch (ShrinkRefusedException e)
        {
            io.Error(e.Message);
            io.Warning(ImageResizer.ShrinkWarning);
            return 1;
        }
        if (!quiet) io.Print("Image resized.\n");
        return 0;
    }
}
