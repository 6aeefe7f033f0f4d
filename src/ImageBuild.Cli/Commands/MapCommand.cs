using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>map [--object OBJ] [--image-opts] [-f FMT] [--start-offset=OFFSET] [--max-length=LEN] [--output=human|json] [-U] FILENAME</summary>
public sealed class MapCommand : ICommand
{
    public string Name => "map";

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("format", ArgKind.Required, 'f'),
        new("output", ArgKind.Required, OptionOutput),
        new("object", ArgKind.Required, OptionObject),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("force-share", ArgKind.None, 'U'),
        new("start-offset", ArgKind.Required, 's'),
        new("max-length", ArgKind.Required, 'l'),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null, output = null;
        bool forceShare = false, imageOpts = false;
        long start = 0;
        long? maxLength = null;
        var objects = new ObjectOption();
        var g = new GetOpt(argv, ":f:s:l:hU", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': fmt = g.Optarg; break;
                case 'U': forceShare = true; break;
                case OptionOutput: output = g.Optarg; break;
                case 's': start = ParseSize(io, "start offset", g.Optarg!); break;
                case 'l': maxLength = ParseSize(io, "max length", g.Optarg!); break;
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
        context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, fmt, filename, forceShare) };

        using var device = ImageOpener.Open(context.Engine, filename, new OpenOptions { Format = fmt, ForceShare = forceShare });
        io.Print(json ? "[" : MapPresenter.HumanHeader);
        try
        {
            MapEntry? pending = null;
            foreach (var e in ImageMapper.Map(device, start, maxLength, humanCoalescing: !json))
            {
                if (json)
                {
                    if (pending is not null)
                        io.Print(MapPresenter.JsonEntry(pending) + ",\n");
                    pending = e;
                }
                else if (MapPresenter.HumanLine(e) is { } line)
                {
                    io.Print(line);
                }
            }
            if (json && pending is not null)
                io.Print(MapPresenter.JsonEntry(pending) + "]\n");
        }
        catch (MapHumanException e)
        {
            io.Error(e.Message);
            return 1;
        }
        return 0;
    }
}
