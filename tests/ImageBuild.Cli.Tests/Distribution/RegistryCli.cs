using System.Text.Json;
using System.Text.RegularExpressions;
using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Distribution;

/// <summary>What the push/pull tests share: running imagebuild and skopeo, reading what a registry holds.</summary>
internal static partial class RegistryCli
{
    public static TimedResult Ok(TimedResult r)
    {
        if (r.ExitCode != 0)
            throw new AssertFailedException($"{r.CommandLine} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
        return r;
    }

    /// <summary>Runs imagebuild push and returns the digest it printed (checking the line's form).</summary>
    public static string Push(string cwd, string expectedReference, params string[] args)
    {
        var r = Ok(ToolUnderTest.Run(cwd, ["push", .. args]));
        var m = PushedLine().Match(r.StdOut);
        Assert.IsTrue(m.Success && m.Groups["ref"].Value == expectedReference, $"push printed '{r.StdOut}'");
        Assert.AreEqual("", r.StdErr);
        return m.Groups["digest"].Value;
    }

    /// <summary>
    /// Asserts a failure of one line "imagebuild: PREFIX...", exit 1, nothing on stdout (warnings of retries before
    /// it are lines of their own).
    /// </summary>
    public static void AssertOneLineFailure(TimedResult r, string prefix, string? contains = null)
    {
        Assert.AreEqual(1, r.ExitCode, r.CommandLine + ": " + r.StdOut + r.StdErr);
        Assert.AreEqual("", r.StdOut, r.CommandLine);
        var errors = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("imagebuild: warning: ", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, errors, "one line: " + r.StdErr);
        StringAssert.StartsWith(errors[0], "imagebuild: " + prefix, r.CommandLine);
        Assert.IsFalse(r.StdErr.Contains("Exception", StringComparison.Ordinal), r.StdErr);
        if (contains is not null)
            StringAssert.Contains(r.StdErr, contains);
    }

    /// <summary>skopeo's raw view of a manifest (plain HTTP, or TLS with the given CA directory).</summary>
    public static JsonDocument InspectRaw(string registryHost, string repositoryAndTag, string? certDir = null)
    {
        var r = Skopeo("inspect", "--raw", Tls(certDir), $"docker://{registryHost}/{repositoryAndTag}");
        return JsonDocument.Parse(r.StdOut);
    }

    public static ProcessResult Skopeo(params string[] args)
    {
        var r = QemuOracle.Run(ExternalTools.Find("skopeo"), args.Where(a => a.Length > 0));
        if (r.ExitCode != 0)
            throw new AssertFailedException($"skopeo {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
        return r;
    }

    public static string Tls(string? certDir) => certDir is null ? "--tls-verify=false" : "--cert-dir=" + certDir;

    /// <summary>A file of <paramref name="size"/> bytes, holes but for 4 KiB blocks of the given values.</summary>
    public static void WriteSparse(string path, long size, params (long Offset, byte Value)[] blocks)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write);
        f.SetLength(size);
        foreach (var (offset, value) in blocks)
        {
            f.Position = offset;
            f.Write(Enumerable.Repeat(value, 4096).ToArray());
        }
    }

    public static long AllocatedBytes(string path)
    {
        var r = QemuOracle.Run("stat", ["-c", "%b %B", path]);
        string[] parts = r.StdOut.Trim().Split(' ');
        return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The files and directories under <paramref name="dir"/> (relative), for "nothing was left" checks.</summary>
    public static string[] Entries(string dir) =>
        [.. Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(dir, p)).Order(StringComparer.Ordinal)];

    [GeneratedRegex(@"^(?<ref>oci://[^@\s]+)@(?<digest>sha256:[0-9a-f]{64})\n$")]
    private static partial Regex PushedLine();
}
