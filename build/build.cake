// The repository's own build: dotnet tool restore && dotnet cake build/build.cake --target=Images
// Targets: Clean, Build, Test, Pack, Images, Default (= Build + Test).
// Arguments: --configuration=Release|Debug (Release), --test-filter=EXPR (a test filter, passed after `--`).

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
var testFilter = Argument("test-filter", "");

var root = MakeAbsolute(Directory(".."));     // build.cake's directory is the working directory
var solution = root.CombineWithFilePath("ImageBuild.sln");
var artifacts = root.Combine("artifacts");
var addinProject = root.CombineWithFilePath("tasks/Cake.ImageBuild/Cake.ImageBuild.csproj");
// images.cake loads the addin with #r from this path, so the addin is always built in Release for Images.
var addinBin = root.Combine("tasks/Cake.ImageBuild/bin/Release/net10.0");
var addinAssembly = addinBin.CombineWithFilePath("Cake.ImageBuild.dll");
var scriptCache = artifacts.Combine("cake-cache"); // build/cake.config

Task("Clean")
    .Does(() =>
{
    DotNetClean(solution.FullPath, new DotNetCleanSettings { Configuration = configuration });
    if (DirectoryExists(artifacts))
        DeleteDirectory(artifacts, new DeleteDirectorySettings { Recursive = true, Force = true });
});

Task("Build")
    .Does(() =>
{
    DotNetBuild(solution.FullPath, new DotNetBuildSettings { Configuration = configuration });
});

Task("Test")
    .IsDependentOn("Build")
    .Does(() =>
{
    // The repository runs tests on Microsoft.Testing.Platform (global.json): `dotnet test --solution`.
    var args = new ProcessArgumentBuilder()
        .Append("test").Append("--solution").AppendQuoted(solution.FullPath)
        .Append("-c").Append(configuration).Append("--no-build")
        .Append("--output").Append("Detailed"); // a line per finished test, as the README's command
    if (!string.IsNullOrEmpty(testFilter))
        args.Append("--").Append("--filter").AppendQuoted(testFilter);
    Run("dotnet", args);
});

Task("Pack")
    .IsDependentOn("Build")
    .Does(() =>
{
    DotNetPack(addinProject.FullPath, new DotNetPackSettings
    {
        Configuration = configuration,
        NoBuild = true,
        OutputDirectory = artifacts.Combine("packages"),
    });
});

Task("Images")
    .Does(() =>
{
    // #r is resolved before any task runs, so the images are built by a second script (build/images.cake)
    // that loads the addin built here; this script itself never needs the addin. An up-to-date addin is not
    // built again (dotnet build takes 1.5 s or more even when it has nothing to do).
    if (!AddinUpToDate())
        DotNetBuild(addinProject.FullPath, new DotNetBuildSettings { Configuration = "Release" });
    else
        Verbose("The Cake.ImageBuild addin is up to date: {0}", addinAssembly);
    if (!FileExists(addinAssembly))
        throw new CakeException($"The Cake.ImageBuild addin is not built: {addinAssembly} does not exist (build it with: dotnet build {addinProject} -c Release).");
    var args = new ProcessArgumentBuilder()
        .Append("cake").AppendQuoted(root.CombineWithFilePath("build/images.cake").FullPath)
        .Append($"--verbosity={Context.Log.Verbosity.ToString().ToLowerInvariant()}")
        .Append($"--output={artifacts.Combine("images").FullPath}");
    // images.cake is compiled once and cached (build/cake.config); a cached build older than the addin it was
    // compiled against may call members the addin no longer has, so it is compiled again.
    var cachedImages = System.IO.Directory.Exists(scriptCache.FullPath)
        ? System.IO.Directory.EnumerateFiles(scriptCache.FullPath, "images.*").Select(System.IO.File.GetLastWriteTimeUtc).DefaultIfEmpty().Max()
        : DateTime.MinValue;
    if (NewestWrite(addinBin) > cachedImages)
        args.Append("--invalidate-script-cache");
    Run("dotnet", args);
});

Task("Default")
    .IsDependentOn("Build")
    .IsDependentOn("Test");

RunTarget(target);

void Run(string tool, ProcessArgumentBuilder args)
{
    int exit = StartProcess(tool, new ProcessSettings { Arguments = args, WorkingDirectory = root });
    if (exit != 0)
        throw new CakeException($"{tool} {args.RenderSafe()} exited {exit}");
}

/// <summary>
/// Whether the built addin is newer than everything it is built from: each project's sources (files and folders, so
/// a deleted file counts) against that project's assembly in the addin's output, the repository's build files against
/// the newest of them. MSBuild's own check, without the second and a half `dotnet build` needs to start.
/// </summary>
bool AddinUpToDate()
{
    var projects = new (string Dir, string Assembly)[]
    {
        ("tasks/Cake.ImageBuild", "Cake.ImageBuild.dll"),
        ("src/ImageBuild.Engine", "ImageBuild.Engine.dll"),
        ("src/ImageBuild.Recipes", "ImageBuild.Recipes.dll"),
    };
    var newestBuilt = DateTime.MinValue;
    foreach (var (dir, assembly) in projects)
    {
        var built = addinBin.CombineWithFilePath(assembly).FullPath;
        if (!System.IO.File.Exists(built)) return false;
        var builtAt = System.IO.File.GetLastWriteTimeUtc(built);
        if (NewestWrite(root.Combine(dir)) > builtAt) return false;
        if (builtAt > newestBuilt) newestBuilt = builtAt;
    }
    return new[] { "Directory.Build.props", "Directory.Packages.props", "global.json" }
        .Select(f => root.CombineWithFilePath(f).FullPath)
        .All(f => !System.IO.File.Exists(f) || System.IO.File.GetLastWriteTimeUtc(f) <= newestBuilt);
}

/// <summary>The latest write time of a folder, its files and subfolders, bin/ and obj/ left out (MinValue when it does not exist).</summary>
DateTime NewestWrite(DirectoryPath dir)
{
    var path = dir.FullPath;
    if (!System.IO.Directory.Exists(path)) return DateTime.MinValue;
    var newest = System.IO.Directory.GetLastWriteTimeUtc(path);
    foreach (var entry in System.IO.Directory.EnumerateFileSystemEntries(path))
    {
        string name = System.IO.Path.GetFileName(entry);
        bool isDir = System.IO.Directory.Exists(entry);
        if (isDir && name is "bin" or "obj") continue;
        var at = isDir ? NewestWrite(new DirectoryPath(entry)) : System.IO.File.GetLastWriteTimeUtc(entry);
        if (at > newest) newest = at;
    }
    return newest;
}
