using System.Diagnostics;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// Runs an e2fsprogs program without a shell: arguments as a list, LC_ALL=C, stdin closed, stdout and stderr read
/// concurrently (no pipe deadlock), killed when the operation is cancelled.
/// </summary>
internal static class ToolRunner
{
    public readonly record struct Result(int ExitCode, string StdOut, string StdErr)
    {
        /// <summary>The last non-empty line of stderr (else stdout), trimmed.</summary>
        public string LastLine => (StdErr.Trim().Length > 0 ? StdErr : StdOut).Trim().Split('\n').Last().Trim();
    }

    private static readonly string[] SbinDirectories = ["/usr/sbin", "/sbin"];

    /// <summary>The program's full path (PATH, then /usr/sbin and /sbin, where Debian installs e2fsprogs), or an IOException.</summary>
    public static string Find(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(SbinDirectories);
        foreach (var dir in dirs)
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        throw new IOException($"{name} not found: install Debian's e2fsprogs");
    }

    public static Result Run(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, CancellationToken cancellation)
    {
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = new Process { StartInfo = psi };
        try
        {
            p.Start();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new IOException($"{Path.GetFileName(program)} not found: install Debian's e2fsprogs");
        }
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
        using (cancellation.Register(() =>
        {
            try { p.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { } // already exited
        }))
        {
            p.WaitForExit();
        }
        string output = stdout.GetAwaiter().GetResult(), errors = stderr.GetAwaiter().GetResult();
        cancellation.ThrowIfCancellationRequested();
        return new Result(p.ExitCode, output, errors);
    }
}
