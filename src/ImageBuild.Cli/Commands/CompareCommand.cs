using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
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
        var objects = new ObjectOption();
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
                case OptionObject: objects.Add(io, g.Optarg!, 2); break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };
        if (quiet) progress = false;
        if (g.Operands.Count != 2)
            throw new UsageException("Expecting two image file names");
        string file1 = g.Operands[0], file2 = g.Operands[1];

        using var bar = new ProgressPrinter(io.Out, progress, 2.0f, io.Err);
        try
        {
            if (!IsValidCacheMode(cache))
            {
                io.Error($"Invalid source cache option: {cache}");
                return 2;
            }
            var engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, fmt1, file1, forceShare, exitCode: 2);
            engine = ImageOptsArgs.Register(io, engine, imageOpts, fmt2, file2, forceShare, exitCode: 2);
            context = context with { Engine = engine };

            // qemu prints "Warning: Image size mismatch!" as soon as the common part compared equal, before the
            // progress of the larger image's tail; the engine returns it with the result, so with -p we place it
            // ourselves at the first progress report past the common part.
            const string sizeWarning = "Warning: Image size mismatch!\n";
            double? tailStart = progress && !strict ? TailStartPercent(context, file1, fmt1, file2, fmt2, forceShare) : null;
            bool warned = false;
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
                        if (tailStart is { } t && p > t && !warned && !quiet)
                        {
                            io.Print(sizeWarning);
                            warned = true;
                        }
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
            string message = result.Message + "\n";
            if (warned && message.StartsWith(sizeWarning, StringComparison.Ordinal))
                message = message[sizeWarning.Length..];
            if (!quiet)
                io.Print(message);
            return result.ExitCode;
        }
        finally
        {
            bar.End();
        }
    }

    /// <summary>
    /// The progress value (percent of the larger image) where the common part of two images of different sizes
    /// ends; null when the sizes are equal or cannot be read (the compare itself then reports any open error).
    /// </summary>
    private static double? TailStartPercent(CommandContext context, string file1, string? fmt1, string file2, string? fmt2, bool forceShare)
    {
        try
        {
            long Size(string f, string? fmt)
            {
                using var d = ImageOpener.Open(context.Engine, f, new OpenOptions { Format = fmt, NoBacking = true, ForceShare = forceShare });
                return d.VirtualSize;
            }
            long a = Size(file1, fmt1), b = Size(file2, fmt2);
            return a == b ? null : 100.0 * Math.Min(a, b) / Math.Max(a, b);
        }
        catch (ImageException)
        {
            return null;
        }
    }
}
