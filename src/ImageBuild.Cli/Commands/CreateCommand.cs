using ImageBuild.Cli.CommandLine;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>create [--object OBJ] [-q] [-f FMT] [-b BACKING_FILE [-F BACKING_FMT]] [-u] [-o OPTIONS] FILENAME [SIZE]</summary>
public sealed class CreateCommand : ICommand
{
    public string Name => "create";

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("object", ArgKind.Required, OptionObject),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string fmt = "raw";
        string? baseFmt = null, baseFilename = null, options = null;
        bool quiet = false, unsafeBacking = false;
        var objects = new ObjectOption();
        var g = new GetOpt(argv, ":F:b:f:ho:qu", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'F': baseFmt = g.Optarg; break;
                case 'b': baseFilename = g.Optarg; break;
                case 'f': fmt = g.Optarg!; break;
                case 'o': options = OptionList.Accumulate(io, options, g.Optarg!); break;
                case 'q': quiet = true; break;
                case 'u': unsafeBacking = true; break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };

        var operands = g.Operands;
        string? filename = operands.Count > 0 ? operands[0] : null;
        if (options is not null && OptionList.HasHelp(options))
            return OptionHelp.Print(context, filename, fmt);
        if (filename is null)
            throw new UsageException("Expecting image file name");
        long? size = null;
        if (operands.Count > 1)
            size = ParseSize(io, "image size", operands[1]);
        if (operands.Count > 2)
            throw new UsageException($"Unexpected argument: {operands[2]}");
        RejectJsonFilename(io, filename);

        // The engine reports an unknown or non-creatable format without the "FILE: " prefix qemu puts there.
        try
        {
            ImageCreator.FindCreatableFormat(context.Engine, fmt, filename);
        }
        catch (ImageException e)
        {
            io.Error(e is Engine.Block.FormatNotSupportedException ? e.Message : $"{filename}: {e.Message}");
            return 1;
        }

        try
        {
            ImageCreator.Create(context.Engine, new CreateImageRequest
            {
                Filename = filename,
                Format = fmt,
                Size = size,
                Options = options is null ? [] : OptionList.Parse(options),
                BackingFile = baseFilename,
                BackingFormat = baseFmt,
                BackingUnsafe = unsafeBacking,
            }, quiet ? null : line => io.Print(line + "\n"));
        }
        catch (ImageException e) when (e.Message.Contains("\nDetected format of ", StringComparison.Ordinal))
        {
            // qemu appends this hint without a newline, so its stderr ends right after the period.
            io.Out.Flush();
            io.Err.Write($"{CliIO.ProgramName}: {e.Message}");
            io.Err.Flush();
            return 1;
        }
        return 0;
    }
}
