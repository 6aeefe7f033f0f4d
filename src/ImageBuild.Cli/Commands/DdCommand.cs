using ImageBuild.Cli.CommandLine;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>dd [--image-opts] [-U] [-f FMT] [-O OUTPUT_FMT] [bs=BLOCK_SIZE] [count=BLOCKS] [skip=BLOCKS] if=INPUT of=OUTPUT</summary>
public sealed class DdCommand : ICommand
{
    public string Name => "dd";

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
        var request = new DdRequest();
        bool imageOpts = false;
        var objects = new ObjectOption();
        var g = new GetOpt(argv, ":hf:O:U", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': request = request with { InputFormat = g.Optarg }; break;
                case 'O': request = request with { OutputFormat = g.Optarg! }; break;
                case 'U': request = request with { ForceShare = true }; break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };
        foreach (string operand in g.Operands)
            request = request.WithOperand(operand);
        if (request.Input is not null)
            context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, request.InputFormat, request.Input) };
        ImageDd.Run(context.Engine, request);
        return 0;
    }
}
