using ImageBuild.Cli.CommandLine;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>
/// bitmap (--merge SOURCE | --add | --remove | --clear | --enable | --disable)... [-b SOURCE_FILE [-F SOURCE_FMT]]
/// [-g GRANULARITY] [--object OBJ] [--image-opts | -f FMT] FILENAME BITMAP
/// </summary>
public sealed class BitmapCommand : ICommand
{
    public string Name => "bitmap";

    private const int OptionAdd = 300, OptionRemove = 301, OptionClear = 302, OptionEnable = 303, OptionDisable = 304, OptionMerge = 305;

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("object", ArgKind.Required, OptionObject),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("add", ArgKind.None, OptionAdd),
        new("remove", ArgKind.None, OptionRemove),
        new("clear", ArgKind.None, OptionClear),
        new("enable", ArgKind.None, OptionEnable),
        new("disable", ArgKind.None, OptionDisable),
        new("merge", ArgKind.Required, OptionMerge),
        new("granularity", ArgKind.Required, 'g'),
        new("source-file", ArgKind.Required, 'b'),
        new("source-format", ArgKind.Required, 'F'),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null, srcFile = null, srcFmt = null;
        long granularity = 0;
        bool imageOpts = false;
        var steps = new List<BitmapStep>();
        var objects = new ObjectOption();
        var g = new GetOpt(argv, ":b:f:F:g:h", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'b': srcFile = g.Optarg; break;
                case 'f': fmt = g.Optarg; break;
                case 'F': srcFmt = g.Optarg; break;
                case 'g': granularity = ParseSize(io, "granularity", g.Optarg!); break;
                case OptionAdd: steps.Add(new(BitmapAction.Add)); break;
                case OptionRemove: steps.Add(new(BitmapAction.Remove)); break;
                case OptionClear: steps.Add(new(BitmapAction.Clear)); break;
                case OptionEnable: steps.Add(new(BitmapAction.Enable)); break;
                case OptionDisable: steps.Add(new(BitmapAction.Disable)); break;
                case OptionMerge: steps.Add(new(BitmapAction.Merge, g.Optarg)); break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };
        string? error = null;
        if (steps.Count == 0)
            error = "Need at least one of --add, --remove, --clear, --enable, --disable, or --merge";
        else if (granularity != 0 && !steps.Exists(s => s.Action == BitmapAction.Add))
            error = "granularity only supported with --add";
        else if (srcFmt is not null && srcFile is null)
            error = "-F only supported with -b";
        else if (srcFile is not null && !steps.Exists(s => s.Action == BitmapAction.Merge))
            error = "Merge bitmap source file only supported with --merge";
        else if (g.Operands.Count != 2)
            error = "Expecting filename and bitmap name";
        if (error is not null)
        {
            io.Error(error);
            return 1;
        }
        string filename = g.Operands[0];
        context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, fmt, filename) };
        ImageBitmapEditor.Run(context.Engine, new BitmapRequest
        {
            Filename = filename, Format = fmt, Bitmap = g.Operands[1], Steps = steps,
            // qemu passes the granularity on as a 32-bit value.
            Granularity = granularity == 0 ? null : (uint)granularity, SourceFile = srcFile, SourceFormat = srcFmt,
        });
        return 0;
    }
}
