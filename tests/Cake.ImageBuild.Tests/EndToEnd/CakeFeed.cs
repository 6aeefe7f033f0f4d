using System.Reflection;
using System.Text;
using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests.EndToEnd;

/// <summary>
/// A scratch directory with a local NuGet folder feed holding the freshly built addin (packed with the build's version tagged
/// for this run, so no NuGet cache can serve a stale one) and the packages it depends on, a tool manifest pinning
/// Cake.Tool (restored once), and a way to run <c>dotnet cake</c> on scripts written there.
/// </summary>
internal sealed class CakeFeed : IDisposable
{
    private static readonly string[] DependencyPackages = ["yamldotnet", "zstdsharp.port", "system.io.hashing"];

    private CakeFeed(TempDir dir, string version)
    {
        Dir = dir;
        Version = version;
    }

    public TempDir Dir { get; }
    public string Root => Dir.Path;
    public string FeedPath => Dir["feed"];
    public string Version { get; }

    /// <summary>The version the build gave the addin these tests run against.</summary>
    public static string BuiltVersion =>
        typeof(ImageBuildAliases).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? throw new AssertFailedException("Cake.ImageBuild has no informational version");

    /// <summary>The #addin directive that loads the addin from this feed.</summary>
    public string AddinDirective =>
        $"#addin nuget:{new Uri(FeedPath + "/").AbsoluteUri}?package=Cake.ImageBuild&version={Version}&loaddependencies=true";

    public static CakeFeed Create()
    {
        var dir = new TempDir();
        try
        {
            // The build's version (build/version.props) tagged for this run: the addin's folder under tools/Addins
            // and any NuGet cache then never hold an earlier pack of it.
            string version = BuiltVersion + (BuiltVersion.Contains('-', StringComparison.Ordinal) ? "." : "-") + "e2e.t" + Guid.NewGuid().ToString("N")[..8];
            var feed = new CakeFeed(dir, version);
            feed.Pack();
            feed.RestoreTool();
            return feed;
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    private void Pack()
    {
        string project = Path.Combine(BuildInfo.RepositoryRoot, "tasks", "Cake.ImageBuild", "Cake.ImageBuild.csproj");
        var r = Dotnet(Root, "pack", project, "-c", BuildInfo.Configuration, "--no-build", "--no-restore",
            $"-p:PackageVersion={Version}", "-o", FeedPath, "-nologo");
        if (r.ExitCode != 0)
            throw new AssertFailedException($"dotnet pack of the addin failed (exit {r.ExitCode}); is it built in {BuildInfo.Configuration}?\n{r.StdOut}{r.StdErr}");
        // The addin's NuGet dependencies come from the same feed, as they would from a real one.
        foreach (string id in DependencyPackages)
        {
            string folder = Path.Combine(BuildInfo.NuGetPackageRoot, id);
            foreach (var nupkg in Directory.GetFiles(folder, "*.nupkg", SearchOption.AllDirectories))
                File.Copy(nupkg, Path.Combine(FeedPath, Path.GetFileName(nupkg)), overwrite: true);
        }
    }

    private void RestoreTool()
    {
        Directory.CreateDirectory(Path.Combine(Root, ".config"));
        File.Copy(Path.Combine(BuildInfo.RepositoryRoot, ".config", "dotnet-tools.json"), Path.Combine(Root, ".config", "dotnet-tools.json"));
        var r = Dotnet(Root, "tool", "restore");
        if (r.ExitCode != 0)
            throw new AssertFailedException($"dotnet tool restore failed (exit {r.ExitCode})\n{r.StdOut}{r.StdErr}");
    }

    /// <summary>Writes <paramref name="script"/> (the #addin line is prepended) to NAME.cake and runs it with <c>dotnet cake</c>.</summary>
    public ProcessResult RunScript(string name, string script, params string[] args)
    {
        string path = Path.Combine(Root, name + ".cake");
        File.WriteAllText(path, AddinDirective + "\n" + script, new UTF8Encoding(false));
        return Dotnet(Root, ["cake", path, "--verbosity=normal", .. args]);
    }

    public static ProcessResult Dotnet(string workingDirectory, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var psi = new System.Diagnostics.ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // An outer dotnet test/build passes MSBuild settings through the environment; the child builds must not inherit them.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["NO_COLOR"] = "1";   // Cake colours arguments even when redirected
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(entireProcessTree: true);
            throw new AssertFailedException($"dotnet {string.Join(' ', args)} timed out");
        }
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose() => Dir.Dispose();
}
