using ImageBuild.Engine.Options;

namespace ImageBuild.Cli.CommandLine;

/// <summary>Helpers shared by the commands' option handling, worded as qemu-img words them.</summary>
public static class CommonArgs
{
    /// <summary>Value for the long options that have no short form.</summary>
    public const int OptionObject = 256, OptionImageOpts = 257, OptionOutput = 258, OptionBackingChain = 259,
        OptionStartOffset = 260, OptionMaxLength = 261, OptionSize = 262, OptionTargetImageOpts = 263,
        OptionSalvage = 264, OptionTargetIsZero = 265, OptionBitmaps = 266, OptionSkipBroken = 267,
        OptionQemuCompression = 268;

    /// <summary>Handles '?' and ':' the way every qemu-img command does (error_exit naming argv[optind-1]).</summary>
    public static void HandleCommon(int c, GetOpt g)
    {
        switch (c)
        {
            case '?':
                throw new UsageException($"unrecognized option '{g.PreviousWord}'");
            case ':':
                throw new UsageException($"missing argument for option '{g.PreviousWord}'");
            case 'h':
                throw new HelpRequestedException(g.Argv[0]);
        }
    }

    /// <summary>
    /// qemu's cvtnum: a size with suffixes in [0, INT64_MAX]; on failure prints qemu's two-line message naming
    /// <paramref name="what"/> and throws <see cref="CommandExitException"/> (exit 1).
    /// </summary>
    public static long ParseSize(CliIO io, string what, string text)
    {
        if (SizeParser.TryParse(text, out long value, out bool hexSuffix))
        {
            if (hexSuffix)
                io.Warning($"Using a multiplier suffix on hex numbers is deprecated: {text}");
            return value;
        }
        if (IsOutOfRange(text))
        {
            io.Error($"Invalid {what} specified. Must be between 0 and {long.MaxValue}.");
        }
        else
        {
            io.Error($"Invalid {what} specified. You may use k, M, G, T, P or E suffixes for");
            io.Error("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }
        throw new CommandExitException(1);
    }

    /// <summary>
    /// Whether a size that failed to parse is well-formed but too large (qemu's ERANGE case): the same text
    /// parses when its magnitude is reduced, i.e. the syntax is fine.
    /// </summary>
    private static bool IsOutOfRange(string text)
    {
        string t = text.TrimStart();
        if (t.StartsWith('-'))
            return false;
        // Replace the leading digits by a small number and see whether the rest is valid syntax.
        int i = 0;
        bool hex = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (hex) i = 2;
        int start = i;
        while (i < t.Length && (hex ? Uri.IsHexDigit(t[i]) : char.IsAsciiDigit(t[i]))) i++;
        if (i == start) return false;
        string probe = (hex ? "0x1" : "1") + t[i..];
        return SizeParser.TryParse(probe, out _);
    }

    /// <summary>
    /// -l SNAPSHOT_PARAM of convert and measure: a "snapshot.id=..,snapshot.name=.." form is checked while the
    /// options are parsed, as qemu does (two error lines, exit 1); any other text is an id or name.
    /// </summary>
    public static string CheckSnapshotParam(CliIO io, string param)
    {
        try
        {
            ImageBuild.Engine.Operations.SnapshotSelector.Parse(param, io.Warning);
        }
        catch (ImageBuild.Engine.Operations.ErrorReportsException e)
        {
            foreach (string line in e.Reports) io.Error(line);
            throw new CommandExitException(1);
        }
        return param;
    }

    /// <summary>qemu's --output value check (7.2 wording); null keeps the default (human).</summary>
    public static bool ParseOutputIsJson(CliIO io, string? output)
    {
        if (output is null || output == "human") return false;
        if (output == "json") return true;
        io.Error("--output must be used with human or json as argument.");
        throw new CommandExitException(1);
    }

    /// <summary>qemu's bdrv_parse_cache_mode: whether the cache mode name is known.</summary>
    public static bool IsValidCacheMode(string mode) =>
        mode is "none" or "off" or "directsync" or "writeback" or "unsafe" or "writethrough";

    /// <summary>create cannot make an image named json: (qemu's bdrv_find_protocol finds no protocol that creates it).</summary>
    public static void RejectJsonFilename(CliIO io, string filename)
    {
        if (!filename.StartsWith("json:", StringComparison.Ordinal)) return;
        io.Error($"{filename}: Unknown protocol 'json'");
        throw new CommandExitException(1);
    }
}
