using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Luks;

/// <summary>Shared pieces of the luks CLI oracle tests.</summary>
internal static class LuksOracle
{
    public const string Passphrase = "pass,word";

    /// <summary>
    /// The secret object as both tools take it: from a file in the working directory (see <see cref="Dirs"/>), so that
    /// no passphrase is on a command line a failing test prints.
    /// </summary>
    public static readonly string[] Secret = ["--object", "secret,id=s0,file=s0.key"];

    /// <summary>The twin folders, each with the key files s0.key (the passphrase), s1.key and bad.key.</summary>
    public static OracleDirs Dirs()
    {
        var d = new OracleDirs();
        foreach (string dir in new[] { d.Q, d.T })
        {
            File.WriteAllText(Path.Combine(dir, "s0.key"), Passphrase);
            File.WriteAllText(Path.Combine(dir, "s1.key"), "second");
            File.WriteAllText(Path.Combine(dir, "bad.key"), "wrong");
        }
        return d;
    }

    /// <summary>
    /// Runs qemu-img, again when its PBKDF2 benchmark fails with "Unable to get accurate CPU usage" (a qemu flake at
    /// small iter-time values), so that the oracle's answer is the real one.
    /// </summary>
    public static TimedResult Qemu(string cwd, params string[] args)
    {
        TimedResult r = null!;
        for (int attempt = 0; attempt < 30; attempt++)
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
        for (int attempt = 0; attempt < 30; attempt++)
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

    /// <summary>
    /// The fixture of <see cref="QemuCreate"/> in <paramref name="cwd"/>: a copy of the one <paramref name="templates"/>
    /// made for the same options and size (made there the first time).
    /// </summary>
    public static void QemuCreate(ImageTemplateCache templates, string cwd, string name, string options = "", string size = "1M") =>
        templates.Place($"luks -o {options} {size}", (dir, file) =>
        {
            File.WriteAllText(Path.Combine(dir, "s0.key"), Passphrase);
            QemuCreate(dir, file, options, size);
        }, Path.Combine(cwd, name));

    /// <summary>Copies qemu's fixture into the tool's folder keeping its holes (info prints the disk size).</summary>
    public static void CopyToTool(OracleDirs d, string name)
    {
        var r = QemuOracle.Run("cp", ["--sparse=always", Path.Combine(d.Q, name), Path.Combine(d.T, name)]);
        if (r.ExitCode != 0) throw new AssertFailedException("cp: " + r.StdErr);
    }
}
