using System.Globalization;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Loading;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Cli;

/// <summary>
/// The recipe verbs of the imagebuild command line, callable by any host:
/// <c>run RECIPE [--set name=value]... [--jobs N] [--explain] [--verbose] [--output-dir DIR] [--events FILE|-]</c>,
/// <c>plan RECIPE [--set ...] [--verbose] [--output-dir DIR]</c>, <c>validate RECIPE [--set ...]</c>; each takes <c>--untrusted</c>
/// (the recipe's <c>untrusted-images: true</c>). <c>run</c> and <c>plan</c> take the remote step cache's options, named as
/// ORAS and BuildKit name them: <c>--cache REF</c> (look up and push), <c>--cache-from REF</c>, <c>--cache-to REF</c>,
/// <c>--cache-required</c>, <c>--plain-http</c>, <c>--ca-file FILE</c>, <c>--registry-config FILE</c>; they replace the
/// recipe's <c>cache:</c> field by field.
/// Exit codes: 0 success, 1 a step failed, 2 bad usage, an invalid recipe or an output directory in use by another
/// run, 130 interrupted (Ctrl-C).
/// </summary>
public static class RecipeCli
{
    public static readonly IReadOnlyList<string> Verbs = ["run", "plan", "validate"];

    public const string Usage =
        "usage: imagebuild run RECIPE [--set NAME=VALUE]... [--jobs N] [--explain] [--verbose] [--output-dir DIR] [--events FILE|-] [--untrusted] [CACHE]\n" +
        "       imagebuild plan RECIPE [--set NAME=VALUE]... [--verbose] [--output-dir DIR] [--untrusted] [CACHE]\n" +
        "       imagebuild validate RECIPE [--set NAME=VALUE]... [--untrusted]\n" +
        "CACHE, a remote step cache on an OCI registry (replaces the recipe's cache: field by field):\n" +
        "       [--cache oci://HOST[:PORT]/REPO | --cache-from oci://... | --cache-to oci://...] [--cache-required]\n" +
        "       [--plain-http] [--ca-file FILE] [--registry-config FILE]";

    /// <summary>Exit code of a run interrupted by SIGINT (128 + 2, as shells report it).</summary>
    public const int InterruptedExitCode = 130;

    public static int Run(string verb, string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(verb, args, stdout, stderr, new RecipeConsole());

    /// <param name="console">Whether stdout is a terminal, and the token cancelled by Ctrl-C.</param>
    public static int Run(string verb, string[] args, TextWriter stdout, TextWriter stderr, RecipeConsole console)
    {
        if (!Verbs.Contains(verb))
        {
            stderr.WriteLine($"imagebuild: unknown recipe verb '{verb}'");
            stderr.WriteLine(Usage);
            return 2;
        }
        if (!TryParse(verb, args, out var cli, out string? error))
        {
            stderr.WriteLine($"imagebuild: {error}");
            stderr.WriteLine(Usage);
            return 2;
        }

        Recipe recipe;
        try
        {
            recipe = RecipeLoader.Load(cli.Recipe, cli.Set, context: RecipeLoader.EngineFor(cli.Untrusted));
        }
        catch (RecipeException e)
        {
            foreach (var err in e.Errors) stderr.WriteLine(err.ToString());
            stderr.WriteLine($"{e.Errors.Count} error{(e.Errors.Count == 1 ? "" : "s")} in {cli.Recipe}");
            return 2;
        }

        if (verb == "validate")
        {
            stdout.WriteLine($"{cli.Recipe}: ok ({recipe.Steps.Count} steps)");
            return 0;
        }

        TextWriter? eventsFile = null;
        try
        {
            var sinks = new List<IRecipeEventSink>();
            if (cli.Events == "-")
                sinks.Add(new JsonLinesEventWriter(stdout));
            else
            {
                bool explain = cli.Explain || verb == "plan";
                sinks.Add(console.Terminal
                    ? new TerminalEventWriter(stdout, explain, cli.Verbose, console.Cancellation, console.Width)
                    : new PlainTextEventWriter(stdout, explain, cli.Verbose, interrupted: console.Cancellation));
                if (cli.Events is not null)
                {
                    eventsFile = new StreamWriter(cli.Events, append: false);
                    sinks.Add(new JsonLinesEventWriter(eventsFile));
                }
            }
            var options = new RunOptions { OutputDir = cli.OutputDir, Jobs = cli.Jobs, Sinks = sinks, Cancellation = console.Cancellation, Cache = cli.Cache };
            var runner = new RecipeRunner(recipe, options);
            var result = verb == "plan" ? runner.Plan() : runner.Run();
            if (console.Cancellation.IsCancellationRequested && verb == "run")
            {
                stderr.WriteLine($"imagebuild: {Interruption(result)}");
                return InterruptedExitCode;
            }
            if (!result.Succeeded)
            {
                foreach (var s in result.Steps.Where(s => s.Status == StepStatus.Failed))
                {
                    var step = recipe.Find(s.Id)!;
                    stderr.WriteLine($"{recipe.File}:{step.Mark.Line}:{step.Mark.Column}: step '{s.Id}' ({s.Kind}) failed: {s.Reason}");
                }
                return 1;
            }
            return 0;
        }
        catch (OutputDirBusyException e)
        {
            stderr.WriteLine($"imagebuild: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"imagebuild: {e.Message}");
            return 1;
        }
        finally
        {
            eventsFile?.Dispose();
        }
    }

    /// <summary>One line on what a cancelled run stopped: the steps cut short (their partial outputs are gone) and those never started.</summary>
    internal static string Interruption(RunResult result)
    {
        var stopped = result.Steps.Where(s => s.Status == StepStatus.Failed && s.Reason == RecipeRunner.CancelledReason).ToList();
        int notRun = result.Steps.Count(s => s.Status == StepStatus.Blocked);
        var parts = new List<string>();
        if (stopped.Count > 0)
            parts.Add($"stopped {string.Join(", ", stopped.Select(s => $"step '{s.Id}' ({s.Kind})"))} and deleted {(stopped.Count == 1 ? "its" : "their")} partial output");
        if (notRun > 0) parts.Add($"{notRun} step{(notRun == 1 ? "" : "s")} not run");
        if (parts.Count == 0) parts.Add("every step had finished");
        return "interrupted: " + string.Join("; ", parts);
    }

    internal sealed record Arguments(string Recipe, Dictionary<string, string> Set, int Jobs, bool Explain, string? OutputDir, string? Events, bool Untrusted = false, bool Verbose = false,
        Cache.Remote.StepCacheSettings? Cache = null);

    /// <summary>The options that take a value, also written --name=value.</summary>
    private static readonly string[] Valued = ["--jobs", "--output-dir", "--events", "--cache", "--cache-from", "--cache-to", "--ca-file", "--registry-config"];

    internal static bool TryParse(string verb, string[] args, out Arguments parsed, out string? error)
    {
        parsed = null!;
        string? err = null;
        bool ok = Parse(verb, args, ref err, out parsed);
        error = err;
        return ok;
    }

    private static bool Parse(string verb, string[] args, ref string? error, out Arguments parsed)
    {
        parsed = null!;
        string? problem = null;
        string? recipe = null, outputDir = null, events = null;
        var set = new Dictionary<string, string>(StringComparer.Ordinal);
        int jobs = Math.Max(1, Environment.ProcessorCount);
        bool explain = false, untrusted = false, verbose = false;
        Cache.Remote.StepCacheSettings? cache = null;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? Value()
            {
                int eq = a.IndexOf('=');
                if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0 && Valued.Contains(a[..eq]))
                    return a[(eq + 1)..];
                if (i + 1 >= args.Length) { problem = $"option '{a}' needs a value"; return null; }
                return args[++i];
            }
            string name = a.Contains('=') && a.StartsWith("--", StringComparison.Ordinal) && !a.StartsWith("--set", StringComparison.Ordinal) ? a[..a.IndexOf('=')] : a;
            switch (name)
            {
                case "--set" or "-s":
                {
                    if (i + 1 >= args.Length) { error = "--set needs NAME=VALUE"; return false; }
                    string kv = args[++i];
                    int eq = kv.IndexOf('=');
                    if (eq <= 0) { error = $"--set {kv}: expected NAME=VALUE"; return false; }
                    set[kv[..eq]] = kv[(eq + 1)..];
                    break;
                }
                case "--jobs" or "-j":
                {
                    string? v = Value();
                    if (v is null) { error = problem; return false; }
                    if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out jobs) || jobs < 1 || jobs > 256)
                    { error = $"--jobs {v}: expected a number from 1 to 256"; return false; }
                    break;
                }
                case "--untrusted":
                    untrusted = true;
                    break;
                case "--explain" when verb == "run":
                    explain = true;
                    break;
                case "--verbose" or "-v" when verb != "validate":
                    verbose = true;
                    break;
                case "--output-dir" or "-o" when verb != "validate":
                    outputDir = Value();
                    if (outputDir is null) { error = problem; return false; }
                    break;
                case "--events" when verb != "validate":
                    events = Value();
                    if (events is null) { error = problem; return false; }
                    break;
                case "--cache" or "--cache-from" or "--cache-to" when verb != "validate":
                {
                    string? reference = Value();
                    if (reference is null) { error = problem; return false; }
                    if (Cache.Remote.StepCacheReference.Problem(reference) is { } bad) { error = $"{name}: {bad}"; return false; }
                    cache ??= new();
                    if (name != "--cache-to") cache = cache with { From = reference };
                    if (name != "--cache-from") cache = cache with { To = reference };
                    break;
                }
                case "--cache-required" or "--plain-http" when verb != "validate":
                    cache = name == "--plain-http" ? (cache ?? new()) with { PlainHttp = true } : (cache ?? new()) with { Required = true };
                    break;
                case "--ca-file" or "--registry-config" when verb != "validate":
                {
                    string? file = Value();
                    if (file is null) { error = problem; return false; }
                    if (file.Length == 0) { error = $"{name}: expected a file"; return false; }
                    string full = Path.GetFullPath(file);
                    cache = name == "--ca-file" ? (cache ?? new()) with { CaFile = full } : (cache ?? new()) with { AuthFile = full };
                    break;
                }
                default:
                    if (a.StartsWith("--set=", StringComparison.Ordinal))
                    {
                        string kv = a[6..];
                        int eq = kv.IndexOf('=');
                        if (eq <= 0) { error = $"--set {kv}: expected NAME=VALUE"; return false; }
                        set[kv[..eq]] = kv[(eq + 1)..];
                        break;
                    }
                    if (a.StartsWith('-') && a.Length > 1)
                    {
                        error = $"{verb}: unknown option '{a}'";
                        return false;
                    }
                    if (recipe is not null)
                    {
                        error = $"{verb}: unexpected argument '{a}'";
                        return false;
                    }
                    recipe = a;
                    break;
            }
        }
        if (recipe is null)
        {
            error = $"{verb}: expecting a recipe file";
            return false;
        }
        parsed = new Arguments(recipe, set, jobs, explain, outputDir, events, untrusted, verbose, cache);
        return true;
    }
}

/// <summary>
/// What the host knows about where the recipe verbs print: whether stdout is a terminal (a live progress line) or a
/// log (plain lines), and the token that Ctrl-C cancels.
/// </summary>
public sealed record RecipeConsole
{
    public bool Terminal { get; init; }

    /// <summary>The terminal's width in columns, which the live progress line never exceeds.</summary>
    public int Width { get; init; } = 80;
    public CancellationToken Cancellation { get; init; }
}
