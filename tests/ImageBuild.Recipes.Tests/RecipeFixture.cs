using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Loading;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>A recipe in a scratch directory, with its repository files, run in-process.</summary>
internal sealed class RecipeFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public RecipeFixture(string yaml, params (string Name, byte[] Content)[] files)
    {
        foreach (var (name, content) in files) WriteFile(name, content);
        WriteRecipe(yaml);
    }

    public string Dir => _dir.Path;
    public string RecipePath => _dir["recipe.yaml"];
    public string OutputDir => _dir["out"];
    public string this[string name] => _dir[name];
    public string Out(string name) => Path.Combine(OutputDir, name);

    public void WriteRecipe(string yaml) => File.WriteAllText(RecipePath, yaml);

    public void WriteFile(string name, byte[] content)
    {
        string path = _dir[name];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    /// <summary>The engine recipes are loaded and run with (null: the default); tests set one with extra formats.</summary>
    public Engine.Block.ImageContext? Engine { get; init; }

    public Recipe Load(IReadOnlyDictionary<string, string>? set = null, StepKinds? kinds = null) => RecipeLoader.Load(RecipePath, set, kinds, Engine);

    public RunResult Run(int jobs = 2, StepKinds? kinds = null, string? outputDir = null, IReadOnlyDictionary<string, string>? set = null, List<RecipeEvent>? events = null)
    {
        var sinks = new List<IRecipeEventSink>();
        if (events is not null) sinks.Add(new ListSink(events));
        var recipe = Load(set, kinds);
        return new RecipeRunner(recipe, new RunOptions { OutputDir = outputDir ?? OutputDir, Jobs = jobs, Kinds = kinds ?? StepKinds.Default, Sinks = sinks, Engine = Engine }).Run();
    }

    public RunResult Plan(StepKinds? kinds = null) =>
        new RecipeRunner(Load(null, kinds), new RunOptions { OutputDir = OutputDir, Kinds = kinds ?? StepKinds.Default }).Plan();

    /// <summary>The errors loading reports (empty when the recipe is valid).</summary>
    public IReadOnlyList<RecipeError> Errors(IReadOnlyDictionary<string, string>? set = null)
    {
        try
        {
            Load(set);
            return [];
        }
        catch (RecipeException e)
        {
            return e.Errors;
        }
    }

    public void Dispose() => _dir.Dispose();

    internal sealed class ListSink(List<RecipeEvent> events) : IRecipeEventSink
    {
        public void OnEvent(RecipeEvent e)
        {
            lock (events) events.Add(e);
        }
    }
}

internal static class RunResultExtensions
{
    public static string[] Ran(this RunResult r) => r.Steps.Where(s => s.Status == StepStatus.Ran).Select(s => s.Id).ToArray();
    public static string[] Skipped(this RunResult r) => r.Steps.Where(s => s.Status == StepStatus.Skipped).Select(s => s.Id).ToArray();
}
