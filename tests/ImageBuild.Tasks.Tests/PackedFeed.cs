using System.Diagnostics;
using System.Reflection;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Tasks.Tests;

/// <summary>
/// The end-to-end harness: ImageBuild.Tasks packed once (with the version the build gave it, into a folder feed
/// in a temporary directory, with its own empty NuGet package folder so no cached package is ever used), and
/// sample projects that reference it, built by a real `dotnet build` with node reuse, the MSBuild server and the
/// shared compiler off (no process outlives the build, so no task assembly stays loaded).
/// </summary>
public sealed class PackedFeed : IDisposable
{
    private readonly TempDir _root = new();

    private PackedFeed(string version)
    {
        Version = version;
    }

    public string Version { get; }

    /// <summary>The version of the ImageBuild.Tasks assembly these tests run against.</summary>
    public static string BuiltVersion =>
        typeof(BuildImageRecipes).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? throw new AssertFailedException("ImageBuild.Tasks has no informational version");
    public string Root => _root.Path;
    public string Feed => Path.Combine(Root, "feed");
    public string Packages => Path.Combine(Root, "packages");

    /// <summary>Packs the task project as built for this test assembly's configuration (no rebuild).</summary>
    public static PackedFeed Create()
    {
        // The version the build gave the tasks (build/version.props): a pack takes the same one. The package folder
        // of this feed is its own, so no cached package of that version can stand in for this pack.
        var feed = new PackedFeed(BuiltVersion);
        string project = Path.Combine(DocBlocks.RepositoryRoot(), "tasks", "ImageBuild.Tasks", "ImageBuild.Tasks.csproj");
        string configuration = typeof(PackedFeed).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var r = feed.Dotnet(feed.Root, "pack", project, "--no-build", "-c", configuration, "-o", feed.Feed,
            "-nodeReuse:false", "-tl:off", "-v:q");
        if (r.ExitCode != 0 || !File.Exists(Path.Combine(feed.Feed, $"ImageBuild.Tasks.{feed.Version}.nupkg")))
        {
            feed.Dispose();
            throw new AssertFailedException($"dotnet pack failed ({r.ExitCode}) or did not write ImageBuild.Tasks.{feed.Version}.nupkg (a commit since the build changes the version: rebuild; it wrote: {string.Join(", ", Directory.Exists(feed.Feed) ? Directory.GetFiles(feed.Feed).Select(Path.GetFileName) : [])}):\n{r.StdOut}\n{r.StdErr}");
        }
        return feed;
    }

    /// <summary>A project folder with a nuget.config adding the feed (the user's registries stay) and a project file
    /// referencing the package, with <paramref name="projectBody"/> inside its Project element.</summary>
    public string NewProject(string name, string projectBody)
    {
        string dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="imagebuild-e2e" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(dir, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>disable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ImageBuild.Tasks" Version="{Version}" />
              </ItemGroup>
            {projectBody}
            </Project>
            """);
        return dir;
    }

    /// <summary>`dotnet build` (or clean...) of the project in <paramref name="dir"/>, normal verbosity, plain log.</summary>
    public ProcessResult Build(string dir, string verb = "build", params string[] extra) =>
        Dotnet(dir, [verb, "-nodeReuse:false", "-p:UseSharedCompilation=false", "-tl:off", "-v:n", .. extra]);

    public ProcessResult Dotnet(string dir, params string[] args) =>
        RunChild("dotnet", dir, args, new Dictionary<string, string> { ["NUGET_PACKAGES"] = Packages });

    /// <summary>Runs <paramref name="program"/> as a child build would run: without the test host's MSBuild settings,
    /// with node reuse and the MSBuild server off (no process outlives it), no telemetry or banners, plus
    /// <paramref name="environment"/>.</summary>
    public static ProcessResult RunChild(string program, string dir, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, int timeoutMilliseconds = 300_000)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        // The test host's own MSBuild settings must not leak into the child build.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("MSBuild", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment)
            psi.Environment[key] = value;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + program);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMilliseconds))
        {
            p.Kill(entireProcessTree: true);
            throw new AssertFailedException($"{program} {string.Join(' ', args)} timed out");
        }
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose() => _root.Dispose();
}
