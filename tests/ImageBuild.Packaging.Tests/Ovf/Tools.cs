using ImageBuild.Tests.Shared;

namespace ImageBuild.Packaging.Tests.Ovf;

/// <summary>
/// The real tools the OVF and Vagrant tests check outputs with; CI installs them, so a missing one fails the test
/// with the Debian package to install.
/// </summary>
internal static class Tools
{
    private static readonly Dictionary<string, string> Packages = new()
    {
        ["xmllint"] = "libxml2-utils",
        ["tar"] = "tar",
        ["gzip"] = "gzip",
        ["sha256sum"] = "coreutils",
        ["sha1sum"] = "coreutils",
        ["sha512sum"] = "coreutils",
        ["qemu-img"] = "qemu-utils",
        ["qemu-io"] = "qemu-utils",
    };

    public static string Find(string tool) => ExternalTools.TryFind(tool)
        ?? throw new AssertFailedException($"{tool} is not installed (apt-get install -y {Packages.GetValueOrDefault(tool, tool)})");

    /// <summary>Runs the tool in <paramref name="workingDirectory"/>; fails the test unless it exits 0.</summary>
    public static ProcessResult Ok(string tool, string workingDirectory, params string[] args)
    {
        var r = QemuOracle.Run(Find(tool), args, workingDirectory, timeoutMs: 60_000);
        if (r.ExitCode != 0)
            throw new AssertFailedException($"{tool} {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
        return r;
    }
}
