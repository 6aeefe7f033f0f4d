using System.Diagnostics;
using System.Text.RegularExpressions;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// The program the oracle tests exercise: env IMAGEBUILD_EXE (a native executable such as /usr/bin/qemu-img, or a
/// .dll run with dotnet), else the imagebuild built beside these tests (ProjectReference copies imagebuild.dll here).
/// Pointing IMAGEBUILD_EXE at qemu-img proves the tests assert qemu-img's real behaviour.
/// </summary>
public static partial class ToolUnderTest
{
    /// <summary>Every invocation must finish within this (hangs on hostile input are failures, not waits).</summary>
    public const int DefaultTimeoutMs = 120_000;

    private static readonly Lazy<(string Exe, string[] Prefix)> Command = new(Locate);

    /// <summary>Display form of the command line used to start the tool (for failure messages).</summary>
    public static string Description => string.Join(' ', [Command.Value.Exe, .. Command.Value.Prefix]);

    /// <summary>Whether the tool under test is qemu-img itself (IMAGEBUILD_EXE proving the tests' expectations).</summary>
    public static bool IsQemu => Path.GetFileName(Description).StartsWith("qemu-img", StringComparison.Ordinal);

    /// <summary>
    /// Convert arguments (starting with "convert") asking imagebuild for qemu-img's exact compressed bytes
    /// (--qemu-compression: the system zlib rather than the runtime's zlib-ng); qemu-img takes them as they are.
    /// </summary>
    public static string[] WithQemuCompression(string[] convertArgs) =>
        IsQemu ? convertArgs : ["convert", "--qemu-compression", .. convertArgs[1..]];

    /// <summary>Runs the tool under test in <paramref name="cwd"/>; never throws on a non-zero exit.</summary>
    public static TimedResult Run(string cwd, params string[] args) => RunWithTimeout(cwd, DefaultTimeoutMs, args);

    public static TimedResult RunWithTimeout(string cwd, int timeoutMs, params string[] args)
    {
        var (exe, prefix) = Command.Value;
        return Timed(exe, [.. prefix, .. args], cwd, timeoutMs);
    }

    /// <summary>
    /// Runs the tool under test through <paramref name="wrapper"/> (a program and its arguments that then execs the
    /// tool, such as prlimit --as=N).
    /// </summary>
    public static TimedResult RunWrapped(string[] wrapper, string cwd, params string[] args)
    {
        var (exe, prefix) = Command.Value;
        return Timed(wrapper[0], [.. wrapper[1..], exe, .. prefix, .. args], cwd, DefaultTimeoutMs);
    }

    /// <summary>Runs the oracle (qemu-img) in <paramref name="cwd"/>.</summary>
    public static TimedResult Qemu(string cwd, params string[] args) => Timed(QemuOracle.QemuImg, args, cwd, DefaultTimeoutMs);

    /// <summary>Runs qemu-img and fails unless it exits 0 (setting up fixtures).</summary>
    public static string QemuOk(string cwd, params string[] args)
    {
        var r = Qemu(cwd, args);
        if (r.ExitCode != 0)
            throw new AssertFailedException($"fixture: qemu-img {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
        return r.StdOut;
    }

    /// <summary>Runs qemu-io on <paramref name="image"/> with each command as one -c, failing on any reported error.</summary>
    public static void QemuIo(string cwd, string format, string image, params string[] commands)
    {
        var args = new List<string> { "-f", format };
        foreach (var c in commands) { args.Add("-c"); args.Add(c); }
        args.Add(image);
        var r = Timed(QemuOracle.QemuIo, args, cwd, DefaultTimeoutMs);
        if (r.ExitCode != 0 || r.StdErr.Length > 0 || Regex.IsMatch(r.StdOut, "error|failed|denied", RegexOptions.IgnoreCase))
            throw new AssertFailedException($"fixture: qemu-io {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
    }

    private static TimedResult Timed(string exe, IEnumerable<string> args, string cwd, int timeoutMs)
    {
        var argList = args.ToList();
        var sw = Stopwatch.StartNew();
        var r = QemuOracle.Run(exe, argList, cwd, timeoutMs);
        sw.Stop();
        string stderr = Path.GetFileName(exe).StartsWith("qemu-", StringComparison.Ordinal) ? WithoutModuleNotices(r.StdErr) : r.StdErr;
        return new TimedResult(r.ExitCode, r.StdOut, stderr, sw.Elapsed, $"{Path.GetFileName(exe)} {string.Join(' ', argList)}");
    }

    /// <summary>
    /// Debian's qemu-img names the block modules it was built without ("qemu: module block-block-dmg-bz2 not found,
    /// ..."), on every run that loads the dmg driver: packaging noise, not part of qemu's result.
    /// </summary>
    private static string WithoutModuleNotices(string stderr) =>
        Regex.Replace(stderr, "^qemu: module [^\n]*\n", "", RegexOptions.Multiline);

    private static (string, string[]) Locate()
    {
        string? env = Environment.GetEnvironmentVariable("IMAGEBUILD_EXE");
        string path = !string.IsNullOrEmpty(env) ? env : Path.Combine(AppContext.BaseDirectory, "imagebuild.dll");
        if (!File.Exists(path))
            throw new AssertFailedException($"tool under test not found: {path} (set IMAGEBUILD_EXE)");
        if (path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            return (DotnetHost(), [path]);
        return (path, []);
    }

    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return "dotnet";
    }

    /// <summary>
    /// Makes messages of the two programs comparable: qemu-img prefixes errors with its name ("qemu-img: ...",
    /// "Try 'qemu-img --help'"), imagebuild with "imagebuild". Only those program-name positions are rewritten, never
    /// file names.
    /// </summary>
    public static string Normalize(string text)
    {
        text = LinePrefix().Replace(text, "qemu-img:");
        text = text.Replace("Try 'imagebuild ", "Try 'qemu-img ", StringComparison.Ordinal);
        text = text.Replace(" with imagebuild check -r all", " with qemu-img check -r all", StringComparison.Ordinal);
        return text;
    }

    [GeneratedRegex("(?m)^imagebuild:")]
    private static partial Regex LinePrefix();
}

/// <summary>Outcome of one run, with its wall time and the command line for messages.</summary>
public sealed record TimedResult(int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed, string CommandLine)
{
    public string NormalizedStdErr => ToolUnderTest.Normalize(StdErr);

    public string NormalizedStdOut => ToolUnderTest.Normalize(StdOut);

    public override string ToString() =>
        $"`{CommandLine}` exit {ExitCode} in {Elapsed.TotalSeconds:F2}s\n--- stdout ---\n{StdOut}--- stderr ---\n{StdErr}";
}
