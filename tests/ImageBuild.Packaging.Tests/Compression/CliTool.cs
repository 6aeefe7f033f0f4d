using System.Diagnostics;

namespace ImageBuild.Packaging.Tests.Compression;

/// <summary>
/// Runs a real command-line tool (gzip, zstd, xz, sha256sum, ...) with its standard output captured as bytes. A tool
/// that is missing fails the test, naming the Debian package CI installs it from.
/// </summary>
internal static class CliTool
{
    public sealed record Result(int ExitCode, byte[] StdOut, string StdErr);

    public static Result Run(string tool, string? workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo(Find(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(stdout);
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.ToArray(), stderr.Result);
    }

    /// <summary>Runs the tool and fails the test unless it exits 0; returns its standard output.</summary>
    public static byte[] RunOk(string tool, string? workingDirectory, params string[] args)
    {
        Result r = Run(tool, workingDirectory, args);
        if (r.ExitCode != 0) Assert.Fail($"{tool} {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}");
        return r.StdOut;
    }

    private static string Find(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            string path = Path.Combine(dir, tool);
            if (File.Exists(path)) return path;
        }
        Assert.Fail($"{tool} is not installed (CI installs it: apt-get install -y {Package(tool)})");
        return "";
    }

    private static string Package(string tool) => tool switch
    {
        "gzip" => "gzip",
        "pigz" => "pigz",
        "zstd" => "zstd",
        "xz" => "xz-utils",
        _ => "coreutils",
    };
}
