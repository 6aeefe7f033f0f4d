using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Luks;

/// <summary>Shared pieces of the luks CLI oracle tests.</summary>
internal static class LuksOracle
{
    public const string Passphrase = "pass,word";

    /// <summary>The secret object as both tools take it (a comma in data doubled, as QemuOpts escapes it).</summary>
    public static readonly string[] Secret = ["--object", $"secret,id=s0,data={Passphrase.Replace(",", ",,")}"];

    /// <summary>
    /// Runs qemu-img, again when its PBKDF2 benchmark fails with "Unable to get accurate CPU usage" (a qemu flake at
    /// small iter-time values), so that the oracle's answer is the real one.
    /// </summary>
    public static TimedResult Qemu(string cwd, params string[] args)
    {
        TimedResult r = null!;
        for (int attempt = 0; attempt < 8; attempt++)
        {
            r = ToolUnderTest.Qemu(cwd, args);
            if (!r.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal)) return r;
        }
        return r;
    }

    /// <summary>The tool under test, with the same retry when it is qemu-img itself (IMAGEBUILD_EXE).</summary>
    public static TimedResult Run(string cwd, params string[] args)
    {
        TimedResult r = null!;
        for (int attempt = 0; attempt < 8; attempt++)
        {
            r = ToolUnderTest.Run(cwd, args);
            if (!r.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal)) return r;
        }
        return r;
    }

    /// <summary>qemu-img create -f luks in <paramref name="cwd"/> (fixture).</summary>
    public static void QemuCreate(string cwd, string name, string options = "", string size = "1M")
    {
        var r = Qemu(cwd, ["create", "-q", "-f", "luks", .. Secret, "-o", "key-secret=s0,iter-time=10" + (options.Length > 0 ? "," + options : ""), name, size]);
        if (r.ExitCode != 0) throw new AssertFailedException($"fixture: qemu-img create -f luks {options}: {r.StdErr}");
    }

    /// <summary>Copies qemu's fixture into the tool's folder keeping its holes (info prints the disk size).</summary>
    public static void CopyToTool(OracleDirs d, string name)
    {
        var r = QemuOracle.Run("cp", ["--sparse=always", Path.Combine(d.Q, name), Path.Combine(d.T, name)]);
        if (r.ExitCode != 0) throw new AssertFailedException("cp: " + r.StdErr);
    }
}
