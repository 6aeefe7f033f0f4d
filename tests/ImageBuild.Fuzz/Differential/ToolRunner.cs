using System.Diagnostics;

namespace ImageBuild.Fuzz.Differential;

/// <summary>One run of a command line: exit code (-1 on timeout) and what it printed.</summary>
public sealed record ToolResult(int ExitCode, string StdOut, string StdErr)
{
    public bool TimedOut => ExitCode == -1;

    public string FirstErrorLine => StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";

    /// <summary>The first lines of stderr (where a refusal's reason is).</summary>
    public string StderrFirstLines => string.Join('\n', StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(3));
}

/// <summary>Runs qemu-img and imagebuild (dotnet imagebuild.dll) the same way, in a directory, with a timeout.</summary>
public sealed class ToolRunner(string cliDll, TimeSpan timeout)
{
    public ToolResult Qemu(string dir, params string[] args) => Run("qemu-img", args, dir);

    public ToolResult Ours(string dir, params string[] args) => Run("dotnet", [cliDll, .. args], dir);

    private ToolResult Run(string exe, IEnumerable<string> args, string dir)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {exe}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return new ToolResult(-1, stdout.Result, stderr.Result);
        }
        return new ToolResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
