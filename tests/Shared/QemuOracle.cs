using System.Diagnostics;
using System.Security.Cryptography;

namespace ImageBuild.Tests.Shared;

/// <summary>
/// Runs qemu-img / qemu-io, the oracle our behaviour is compared with. Tests that use it carry
/// <see cref="RequiresQemuAttribute"/>: skipped on a machine without qemu-img, but forced to run (and fail)
/// when IMAGEBUILD_REQUIRE_ORACLE=1, as CI sets it.
/// </summary>
public static class QemuOracle
{
    public static string QemuImg => Find("qemu-img");
    public static string QemuIo => Find("qemu-io");

    public static bool Available => TryFind("qemu-img") is not null;

    public static bool Required => Environment.GetEnvironmentVariable("IMAGEBUILD_REQUIRE_ORACLE") == "1";

    /// <summary>The shared real-image folder beside the repository (../shared/images), or null when absent.</summary>
    public static string? SharedImages
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("IMAGEBUILD_SHARED_IMAGES");
            if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? env : null;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "images");
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(candidate, "expected.tsv")))
                    return candidate;
            }
            return null;
        }
    }

    public static ProcessResult Img(params string[] args) => Run(QemuImg, args);

    public static ProcessResult Io(params string[] args) => Run(QemuIo, args);

    /// <summary>Runs qemu-img and fails the test unless it exits 0.</summary>
    public static string ImgOk(params string[] args)
    {
        var r = Img(args);
        if (r.ExitCode != 0)
            throw new AssertFailedException($"qemu-img {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
        return r.StdOut;
    }

    /// <summary>Runs qemu-io and fails the test unless it exits 0.</summary>
    public static string IoOk(params string[] args)
    {
        var r = Io(args);
        if (r.ExitCode != 0 || r.StdOut.Contains("error", StringComparison.OrdinalIgnoreCase) || r.StdOut.Contains("failed", StringComparison.OrdinalIgnoreCase))
            throw new AssertFailedException($"qemu-io {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
        return r.StdOut;
    }

    public static ProcessResult Run(string exe, IEnumerable<string> args, string? workingDirectory = null, int timeoutMs = 600_000)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new AssertFailedException($"{exe} {string.Join(' ', args)} timed out");
        }
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string Md5OfFile(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(MD5.HashData(s));
    }

    private static string Find(string name) => TryFind(name)
        ?? throw new AssertFailedException($"{name} is not installed (apt-get install -y qemu-utils)");

    private static string? TryFind(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }
}

public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

/// <summary>Runs the test only where qemu-img is installed, or always when IMAGEBUILD_REQUIRE_ORACLE=1.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class RequiresQemuAttribute : ConditionBaseAttribute
{
    public RequiresQemuAttribute() : base(ConditionMode.Include)
    {
        IgnoreMessage = "qemu-img is not installed (apt-get install -y qemu-utils)";
    }

    public override bool IsConditionMet => QemuOracle.Required || QemuOracle.Available;

    public override string GroupName => nameof(RequiresQemuAttribute);
}

/// <summary>Runs the test only where ../shared/images exists, or always when IMAGEBUILD_REQUIRE_ORACLE=1.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class RequiresSharedImagesAttribute : ConditionBaseAttribute
{
    public RequiresSharedImagesAttribute() : base(ConditionMode.Include)
    {
        IgnoreMessage = "../shared/images is not beside this checkout";
    }

    public override bool IsConditionMet => QemuOracle.Required || QemuOracle.SharedImages is not null;

    public override string GroupName => nameof(RequiresSharedImagesAttribute);
}

/// <summary>A scratch directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "imagebuild-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
