using System.Globalization;
using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>measure [--output=OFMT] [-O OUTPUT_FMT] [-o OPTIONS] [--size N | [--object OBJ] [--image-opts] [-f FMT] [-l SNAPSHOT_PARAM] FILENAME]</summary>
public sealed class MeasureCommand : ICommand
{
    public string Name => "measure";

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("object", ArgKind.Required, OptionObject),
        new("output", ArgKind.Required, OptionOutput),
        new("size", ArgKind.Required, OptionSize),
        new("force-share", ArgKind.None, 'U'),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null, options = null, snapshot = null;
        string outFmt = "raw";
        bool json = false, imageOpts = false, forceShare = false;
        long? size = null;
        // 7.2's measure (alone) lets glibc report bad options itself and then shows the help (exit 0).
        var objects = new ObjectOption();
        var g = new GetOpt(argv, "hf:O:o:l:U", LongOptions, io.Err);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': fmt = g.Optarg; break;
                case 'O': outFmt = g.Optarg!; break;
                case 'o': options = OptionList.Accumulate(io, options, g.Optarg!); break;
                case 'l': snapshot = CheckSnapshotParam(io, g.Optarg!); break;
                case 'U': forceShare = true; break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                case OptionImageOpts: imageOpts = true; break;
                case OptionOutput: json = ParseOutputIsJson(io, g.Optarg); break;
                case OptionSize: size = ParseSize(io, "image size", g.Optarg!); break;
                default: io.Out.Flush(); throw new HelpRequestedException(c == 'h' ? Name : null);
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };

        var operands = g.Operands;
        if (operands.Count > 1)
            return Fail(io, "At most one filename argument is allowed.");
        string? filename = operands.Count == 1 ? operands[0] : null;
        if (filename is null && (imageOpts || fmt is not null || snapshot is not null))
            return Fail(io, "--image-opts, -f, and -l require a filename argument.");
        if (filename is not null && size is not null)
            return Fail(io, "--size N cannot be used together with a filename.");
        if (filename is null && size is null)
            return Fail(io, "Either --size N or one filename must be specified.");
        if (filename is not null)
            context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, fmt, filename, forceShare) };

        var result = ImageMeasurer.Measure(context.Engine, new MeasureRequest
        {
            OutputFormat = outFmt,
            Options = options is null ? [] : OptionList.Parse(options),
            Size = size,
            Filename = filename,
            SourceFormat = fmt,
            Snapshot = snapshot,
            ForceShare = forceShare,
        });

        if (json)
        {
            io.Print(QDictJsonWriter.Serialize(ImageMeasurer.ToQapi(result)) + "\n");
        }
        else
        {
            // qemu prints these uint64 fields with PRIu64 (its JSON, above, shows them signed)
            io.Print(string.Create(CultureInfo.InvariantCulture, $"required size: {(ulong)result.Required}\nfully allocated size: {(ulong)result.FullyAllocated}\n"));
            if (result.Bitmaps is { } b)
                io.Print(string.Create(CultureInfo.InvariantCulture, $"bitmaps size: {b}\n"));
        }
        return 0;
    }

    private static int Fail(CliIO io, string message)
    {
        io.Error(message);
        return 1;
    }
}
