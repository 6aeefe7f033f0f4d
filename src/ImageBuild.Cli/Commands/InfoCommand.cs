using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>info [--object OBJ] [--image-opts] [-f FMT] [--output=human|json] [--backing-chain] [-U] FILENAME</summary>
public sealed class InfoCommand : ICommand
{
    public string Name => "info";

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("format", ArgKind.Required, 'f'),
        new("output", ArgKind.Required, OptionOutput),
        new("backing-chain", ArgKind.None, OptionBackingChain),
        new("object", ArgKind.Required, OptionObject),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("force-share", ArgKind.None, 'U'),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null, output = null;
        bool chain = false, forceShare = false, imageOpts = false;
        var objects = new ObjectOption();
        var g = new GetOpt(argv, ":f:hU", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': fmt = g.Optarg; break;
                case 'U': forceShare = true; break;
                case OptionOutput: output = g.Optarg; break;
                case OptionBackingChain: chain = true; break;
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

        var list = ImageInfoCollector.CollectList(context.Engine, filename, fmt, chain, forceShare);
        if (!json)
            io.Print(InfoPresenter.Human(list));
        else if (chain)
            io.Print(InfoPresenter.Json(list));
        else
            io.Print(InfoPresenter.Json(list[0]));
        return 0;
    }
}
