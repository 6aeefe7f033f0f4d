using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine;
using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>
/// convert [--object OBJ] [--image-opts] [--target-image-opts] [--target-is-zero] [--bitmaps] [-U] [-C] [-c] [-p] [-q]
/// [-n] [-f FMT] [-t CACHE] [-T SRC_CACHE] [-O OUTPUT_FMT] [-B BACKING_FILE [-F BACKING_FMT]] [-o OPTIONS]
/// [-l SNAPSHOT_PARAM] [-S SPARSE_SIZE] [-r RATE] [-m NUM_COROUTINES] [-W] [--salvage] FILENAME [FILENAME2 [...]] OUTPUT_FILENAME
/// </summary>
public sealed class ConvertCommand : ICommand
{
    public string Name => "convert";

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("object", ArgKind.Required, OptionObject),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("force-share", ArgKind.None, 'U'),
        new("target-image-opts", ArgKind.None, OptionTargetImageOpts),
        new("salvage", ArgKind.None, OptionSalvage),
        new("target-is-zero", ArgKind.None, OptionTargetIsZero),
        new("bitmaps", ArgKind.None, OptionBitmaps),
        new("skip-broken-bitmaps", ArgKind.None, OptionSkipBroken),
        new("qemu-compression", ArgKind.None, OptionQemuCompression), // beyond qemu-img: its exact compressed bytes
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null, outFmt = null, outBase = null, backingFmt = null, options = null, snapshot = null;
        string cache = "unsafe", srcCache = "writeback";
        bool copyRange = false, compress = false, progress = false, quiet = false, skipCreate = false;
        bool outOfOrder = false, forceShare = false, imageOpts = false, salvage = false, tgtImageOpts = false;
        bool targetIsZero = false, bitmaps = false, skipBroken = false, explicitSparse = false, qemuCompression = false;
        long sparse = 4096, rateLimit = 0;
        int coroutines = 8;

        var objects = new ObjectOption();

        var g = new GetOpt(argv, ":hf:O:B:Cco:l:S:pt:T:qnm:WUr:F:", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': fmt = g.Optarg; break;
                case 'O': outFmt = g.Optarg; break;
                case 'B': outBase = g.Optarg; break;
                case 'C': copyRange = true; break;
                case 'c': compress = true; break;
                case 'F': backingFmt = g.Optarg; break;
                case 'o': options = OptionList.Accumulate(io, options, g.Optarg!); break;
                case 'l': snapshot = CheckSnapshotParam(io, g.Optarg!); break;
                case 'S':
                    sparse = ParseSize(io, "buffer size for sparse output", g.Optarg!);
                    // qemu rejects these while parsing options, before anything else is checked.
                    if (sparse % 512 != 0 || sparse > ImageConverter.MaxSparseSize)
                    {
                        io.Error(ImageConverter.InvalidSparseSizeMessage);
                        return 1;
                    }
                    explicitSparse = true;
                    break;
                case 'p': progress = true; break;
                case 't': cache = g.Optarg!; break;
                case 'T': srcCache = g.Optarg!; break;
                case 'q': quiet = true; break;
                case 'n': skipCreate = true; break;
                case 'm':
                    if (!TryParseCLong(g.Optarg!, out long m) || m < 1 || m > ImageConverter.MaxParallel)
                    {
                        io.Error(ImageConverter.InvalidParallelMessage);
                        return 1;
                    }
                    coroutines = (int)m;
                    break;
                case 'W': outOfOrder = true; break;
                case 'U': forceShare = true; break;
                case 'r': rateLimit = ParseSize(io, "rate limit", g.Optarg!); break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                case OptionImageOpts: imageOpts = true; break;
                case OptionSalvage: salvage = true; break;
                case OptionTargetImageOpts: tgtImageOpts = true; break;
                case OptionTargetIsZero: targetIsZero = true; break;
                case OptionBitmaps: bitmaps = true; break;
                case OptionSkipBroken: skipBroken = true; break;
                case OptionQemuCompression: qemuCompression = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };

        if (outFmt is null && !tgtImageOpts) outFmt = "raw";
        string? error =
            skipBroken && !bitmaps ? "Use of --skip-broken-bitmaps requires --bitmaps" :
            compress && copyRange ? "Cannot enable copy offloading when -c is used" :
            explicitSparse && copyRange ? "Cannot enable copy offloading when -S is used" :
            copyRange && salvage ? "Cannot use copy offloading in salvaging mode" :
            tgtImageOpts && !skipCreate ? "--target-image-opts requires use of -n flag" :
            skipCreate && options is not null ? "-o has no effect when skipping image creation" :
            targetIsZero && !skipCreate ? "--target-is-zero requires use of -n flag" : null;
        if (error is not null)
        {
            io.Error(error);
            return 1;
        }

        var operands = g.Operands;
        int srcCount = operands.Count - 1;
        string? outFilename = srcCount >= 1 ? operands[^1] : null;
        if (options is not null && OptionList.HasHelp(options))
        {
            if (outFmt is not null)
                return OptionHelp.Print(context, outFilename, outFmt);
            io.Error("Option help requires a format be specified");
            return 1;
        }
        if (srcCount < 1)
        {
            io.Error("Must specify image file name");
            return 1;
        }
        if (!IsValidCacheMode(srcCache))
        {
            io.Error($"Invalid source cache option: {srcCache}");
            return 1;
        }

        if (quiet) progress = false;
        using var bar = new ProgressPrinter(io.Out, progress, 1.0f, io.Err);
        bar.SetAbsolute(0);
        try
        {
            string? unsupported =
                bitmaps && srcCount > 1 ? "Copying bitmaps only possible with single source" : null;
            if (unsupported is not null)
            {
                io.Error(unsupported);
                return 1;
            }
            if (!IsValidCacheMode(cache))
            {
                io.Error($"Invalid cache option: {cache}");
                return 1;
            }
            var engine = context.Engine;
            foreach (string source in operands.Take(srcCount))
                engine = ImageOptsArgs.Register(io, engine, imageOpts, fmt, source, forceShare);
            engine = ImageOptsArgs.Register(io, engine, tgtImageOpts, outFmt, outFilename!);
            context = context with { Engine = engine };

            // qemu printed the initial 0 % above; the engine reports its own start at 0 again, which qemu does not.
            bool first = true;
            var request = new ConvertRequest
            {
                Sources = operands.Take(srcCount).ToList(),
                SourceFormat = fmt,
                OutputFilename = outFilename!,
                OutputFormat = outFmt!,
                TargetOptions = options is null ? [] : OptionList.Parse(options),
                BackingFile = outBase,
                BackingFormat = backingFmt,
                NoCreate = skipCreate,
                SparseSize = sparse,
                Compress = compress,
                Deflate = qemuCompression ? DeflateLibrary.SystemZlib : DeflateLibrary.RuntimeZlibNg,
                Parallel = coroutines,
                OutOfOrder = outOfOrder,
                TargetIsZero = targetIsZero,
                Snapshot = snapshot,
                Salvage = salvage,
                CopyRange = copyRange,
                RateLimit = rateLimit,
                ForceShare = forceShare,
                Bitmaps = bitmaps,
                SkipBrokenBitmaps = skipBroken,
                TargetCacheUnsafe = cache == "unsafe",
                Quiet = quiet,
                Progress = p =>
                {
                    if (first && p == 0)
                    {
                        first = false;
                        return;
                    }
                    first = false;
                    bar.SetAbsolute(p);
                },
            };
            try
            {
                ImageConverter.Convert(context.Engine, request);
            }
            catch (ImageException e)
            {
                io.Error(e.Message);
                return 1;
            }
            return 0;
        }
        finally
        {
            bar.End();
        }
    }

    /// <summary>qemu_strtol with base 0 over the whole string: decimal, 0x hex or 0 octal, optional sign.</summary>
    internal static bool TryParseCLong(string s, out long value)
    {
        value = 0;
        string t = s.TrimStart(' ', '\t', '\n', '\v', '\f', '\r');
        bool neg = false;
        if (t.StartsWith('-') || t.StartsWith('+'))
        {
            neg = t[0] == '-';
            t = t[1..];
        }
        int radix = 10;
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && t.Length > 2)
        {
            radix = 16;
            t = t[2..];
        }
        else if (t.Length > 1 && t[0] == '0')
        {
            radix = 8;
            t = t[1..];
        }
        if (t.Length == 0) return false;
        long v = 0;
        foreach (char ch in t)
        {
            int d = char.IsAsciiDigit(ch) ? ch - '0' : char.IsAsciiLetter(ch) ? char.ToLowerInvariant(ch) - 'a' + 10 : 99;
            if (d >= radix) return false;
            try { v = checked(v * radix + d); }
            catch (OverflowException) { return false; }
        }
        value = neg ? -v : v;
        return true;
    }
}
