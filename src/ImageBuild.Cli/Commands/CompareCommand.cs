using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>compare [--object OBJ] [--image-opts] [-f FMT] [-F FMT] [-T SRC_CACHE] [-p] [-q] [-s] [-U] FILENAME1 FILENAME2</summary>
public sealed class CompareCommand : ICommand
{
    public string Name => "compare";

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
        string? fmt1 = null, fmt2 = null;
        string cache = "writeback";
        bool progress = false, quiet = false, strict = false, forceShare = false, imageOpts = false;
        var g = new GetOpt(argv, ":hf:F:T:pqsU", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': fmt1 = g.Optarg; break;
                case 'F': fmt2 = g.Optarg; break;
                case 'T': cache = g.Optarg!; break;
                case 'p': progress = true; break;
                case 'q': quiet = true; break;
                case 's': strict = true; break;
                case 'U': forceShare = true; break;
                case OptionObject: break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        if (quiet) progress = false;
        if (g.Operands.Count != 2)
            throw new UsageException("Expecting two image file names");
        string file1 = g.Operands[0], file2 = g.Operands[1];

        var bar = new ProgressPrinter(io.Out, progress, 2.0f);
        try
        {
            if (!IsValidCacheMode(cache))
            {
                io.Error($"Invalid source cache option: {cache}");
                return 2;
            }
            if (imageOpts)
            {
                io.Error(fmt1 is not null || fmt2 is not null ? "--image-opts and --format are mutually exclusive" : "--image-opts is not supported yet");
                return 2;
            }
            foreach (var f in new[] { file1, file2 })
            {
                if (f.StartsWith("json:", StringComparison.Ordinal))
                {
                    io.Error($"Could not open '{f}': json: filenames are not supported yet");
                    return 2;
                }
            }

            double last = 0;
            CompareResult result;
            try
            {
                result = ImageComparer.Compare(context.Engine, new CompareRequest
                {
                    File1 = file1,
                    File2 = file2,
                    Format1 = fmt1,
                    Format2 = fmt2,
                    Strict = strict,
                    ForceShare = forceShare,
                    Progress = p =>
                    {
                        bar.Advance(p - last);
                        last = p;
                    },
                });
            }
            catch (CompareException e)
            {
                io.Error(e.Message);
                return e.ExitCode;
            }
            catch (ImageException e)
            {
                io.Error(e.Message);
                return 1;
            }
            if (!quiet)
                io.Print(result.Message + "\n");
            return result.ExitCode;
        }
        finally
        {
            bar.End();
        }
    }
}
