using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>
/// A program that writes VMDKs with qemu-img's command line: qemu-img itself and our own imagebuild; the spec tests
/// run the same cases over both.
/// </summary>
public sealed record VmdkProducer(string Name, Func<string> Command, Func<string[]> Prefix)
{
    public static VmdkProducer Qemu { get; } = new("qemu-img", () => QemuOracle.QemuImg, () => []);

    /// <summary>imagebuild: IMAGEBUILD_EXE (an executable or a .dll), else the CLI built in this checkout.</summary>
    public static VmdkProducer ImageBuild { get; } = new("imagebuild",
        () => LocateCli() is var p && p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? "dotnet" : p,
        () => LocateCli() is var p && p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? [p] : []);

    public static IEnumerable<VmdkProducer> Enabled
    {
        get
        {
            yield return Qemu;
            yield return ImageBuild;
        }
    }

    public static VmdkProducer Named(string name) => name == ImageBuild.Name ? ImageBuild : Qemu;

    /// <summary>Makes <paramref name="c"/>'s image in <paramref name="dir"/> and returns the path of its .vmdk.</summary>
    public string Make(VmdkOutputCase c, string dir)
    {
        string target = Path.Combine(dir, "out.vmdk");
        string[] args;
        if (c.Convert)
        {
            string raw = Path.Combine(dir, "source.raw");
            VmdkOutputCase.SourceRaw(raw, c.Size);
            args = ["convert", "-f", "raw", "-O", "vmdk", "-o", c.Options, raw, target];
        }
        else
            args = ["create", "-q", "-f", "vmdk", "-o", c.Options, target, c.Size.ToString()];
        var r = QemuOracle.Run(Command(), [.. Prefix(), .. args], dir);
        if (r.ExitCode != 0)
            throw new AssertFailedException($"{Name} {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
        return target;
    }

    private static string LocateCli()
    {
        string? env = Environment.GetEnvironmentVariable("IMAGEBUILD_EXE");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "ImageBuild.sln"))) continue;
            foreach (string config in new[] { "Release", "Debug" })
            {
                string dll = Path.Combine(dir.FullName, "src", "ImageBuild.Cli", "bin", config, "net10.0", "imagebuild.dll");
                if (File.Exists(dll)) return dll;
            }
        }
        throw new AssertFailedException("imagebuild.dll not found (build src/ImageBuild.Cli or set IMAGEBUILD_EXE)");
    }
}
