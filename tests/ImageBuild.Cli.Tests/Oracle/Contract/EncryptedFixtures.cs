using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>Encrypted images the contract cases start from, all made by qemu-img and qemu-io with the row's secret.</summary>
internal static class EncryptedFixtures
{
    /// <summary>qemu's PBKDF2 benchmark sometimes fails so (its CPU time did not advance): not part of the result.</summary>
    public const string BenchmarkFailure = "Unable to get accurate CPU usage";

    /// <summary>
    /// The failure comes when qemu's first 2^15 PBKDF2 rounds take under a millisecond of CPU time (sha1 often does)
    /// and then costs milliseconds, so attempts are cheap; it tends to come in runs.
    /// </summary>
    private const int Attempts = 25;

    /// <summary>
    /// Runs <paramref name="run"/> again while it fails with qemu's benchmark failure (qemu-img creating a LUKS
    /// header or key slot; the tool under test when that is qemu-img too). The last result is returned.
    /// </summary>
    public static TimedResult RetryingBenchmark(Func<TimedResult> run)
    {
        var r = run();
        for (int attempt = 1; attempt < Attempts && r.ExitCode != 0 && r.StdErr.Contains(BenchmarkFailure, StringComparison.Ordinal); attempt++)
            r = run();
        return r;
    }

    /// <summary>The passphrase files of the row (and the wrong and second ones) in each of <paramref name="dirs"/>.</summary>
    public static void WriteSecrets(params string[] dirs)
    {
        EncryptedProfiles.Passphrase.WriteInto(dirs);
        EncryptedProfiles.WrongPassphrase.WriteInto(dirs);
        EncryptedProfiles.SecondPassphrase.WriteInto(dirs);
    }

    /// <summary>The arguments of `create` for an image of the row with <paramref name="extra"/> options.</summary>
    public static string[] CreateArgs(EncryptedProfile p, string name, string extra, string size) =>
        ["create", "-f", p.Format, .. p.Secret.ObjectArgs, "-o", p.CreateOptionString(extra), name, .. size.Length > 0 ? new[] { size } : []];

    /// <summary>qemu-img creates an image of the row (retrying its benchmark failure) and must succeed.</summary>
    public static void Create(EncryptedProfile p, string dir, string name, string extra, string size)
    {
        string[] args = ["create", "-q", .. CreateArgs(p, name, extra, size)[1..]];
        var r = RetryingBenchmark(() => ToolUnderTest.Qemu(dir, args));
        if (r.ExitCode != 0)
            throw new AssertFailedException($"fixture: qemu-img {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
    }

    /// <summary>
    /// qemu-img creates <paramref name="name"/> (8 MiB, the row's options and <paramref name="options"/>) and qemu-io
    /// writes through the key: patterns, zeroes over data and over holes, a discard inside data, writes of part of a
    /// cluster and of 7 unaligned bytes, and the last 4 KiB. An image that does not start as zeros is zeroed
    /// through the key first, so that all of its content is defined.
    /// </summary>
    public static void MakeFilledImage(EncryptedProfile p, string dir, string name, string options)
    {
        WriteSecrets(dir);
        Create(p, dir, name, options, ContractFixtures.FilledSize);
        if (!p.ZeroInitialised)
            Io(p, dir, name, $"write -q -z 0 {ContractFixtures.FilledSize}");
        Io(p, dir, name, ContractFixtures.FillCommands);
    }

    /// <summary>qemu-io on an image of the row opened with its secret, each command one -c, failing on any reported error.</summary>
    public static void Io(EncryptedProfile p, string dir, string name, params string[] commands)
    {
        var args = new List<string> { "-t", "unsafe" };
        args.AddRange(p.Open(name));
        foreach (var c in commands) { args.Add("-c"); args.Add(c); }
        var r = QemuOracle.Run(QemuOracle.QemuIo, args, dir);
        if (r.ExitCode != 0 || r.StdErr.Length > 0 || r.StdOut.Contains("failed", StringComparison.OrdinalIgnoreCase))
            throw new AssertFailedException($"fixture: qemu-io {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
    }
}
