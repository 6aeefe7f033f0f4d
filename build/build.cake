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
var addinAssembly = root.CombineWithFilePath("tasks/Cake.ImageBuild/bin/Release/net10.0/Cake.ImageBuild.dll");

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
    // that loads the addin built here; this script itself never needs the addin.
    DotNetBuild(addinProject.FullPath, new DotNetBuildSettings { Configuration = "Release" });
    if (!FileExists(addinAssembly))
        throw new CakeException($"The Cake.ImageBuild addin is not built: {addinAssembly} does not exist (build it with: dotnet build {addinProject} -c Release).");
    var args = new ProcessArgumentBuilder()
        .Append("cake").AppendQuoted(root.CombineWithFilePath("build/images.cake").FullPath)
        .Append($"--verbosity={Context.Log.Verbosity.ToString().ToLowerInvariant()}")
        .Append($"--output={artifacts.Combine("images").FullPath}");
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
