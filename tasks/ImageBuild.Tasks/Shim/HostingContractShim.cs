// TEMPORARY: the host API contract of notes/hosting-api.md, so this project builds before "Recipes: host API" lands
// on main. Deleted by the merge of main; nothing else may depend on it.
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Loading;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Hosting;

public sealed record RecipeRunRequest
{
    public required string RecipePath { get; init; }
    public string? OutputDir { get; init; }
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
    public int? Jobs { get; init; }
    public IReadOnlyList<IRecipeEventSink> Sinks { get; init; } = [];
    public CancellationToken Cancellation { get; init; }
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;
}

public sealed record HostDiagnostic(string Code, string Message, string? File = null, int Line = 0, int Column = 0);

public sealed record HostResult
{
    public bool Succeeded { get; init; }
    public string? OutputDir { get; init; }
    public IReadOnlyList<StepOutcome> Steps { get; init; } = [];
    public string? SummaryPath { get; init; }
    public IReadOnlyList<HostDiagnostic> Diagnostics { get; init; } = [];
}

public static class RecipeHost
{
    public static HostResult Run(RecipeRunRequest request)
    {
        string path = Path.GetFullPath(request.RecipePath, request.BaseDirectory);
        try
        {
            var recipe = RecipeLoader.Load(path, request.Variables);
            var runner = new RecipeRunner(recipe, new RunOptions
            {
                OutputDir = request.OutputDir is null ? null : Path.GetFullPath(request.OutputDir, request.BaseDirectory),
                Jobs = request.Jobs ?? Environment.ProcessorCount,
                Sinks = request.Sinks,
                Cancellation = request.Cancellation,
            });
            var r = runner.Run();
            var diags = r.Steps.Where(s => s.Status == StepStatus.Failed)
                .Select(s => new HostDiagnostic("IMGB1002", $"step '{s.Id}' ({s.Kind}) failed: {s.Reason}", path)).ToList();
            return new HostResult { Succeeded = r.Succeeded, OutputDir = r.OutputDir, Steps = r.Steps, SummaryPath = r.SummaryPath, Diagnostics = diags };
        }
        catch (RecipeException e)
        {
            return new HostResult { Diagnostics = e.Errors.Select(x => new HostDiagnostic("IMGB1001", x.Message, x.File, x.Line, x.Column)).ToList() };
        }
        catch (IOException e)
        {
            return new HostResult { Diagnostics = [new HostDiagnostic("IMGB1003", e.Message, path)] };
        }
    }
}

public sealed record OperationRequest
{
    public required string Kind { get; init; }
    public string? Input { get; init; }
    public string? InputFormat { get; init; }
    public string? Other { get; init; }
    public string? OtherFormat { get; init; }
    public string? Output { get; init; }
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<KeyValuePair<string, string>> Options { get; init; } = [];
    public string? StateDirectory { get; init; }
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;
    public IReadOnlyList<IRecipeEventSink> Sinks { get; init; } = [];
    public CancellationToken Cancellation { get; init; }
}

public static class ImageOperations
{
    public static HostResult Run(OperationRequest request) =>
        new() { Diagnostics = [new HostDiagnostic("IMGB1004", $"'{request.Kind}': the host API has not landed yet (temporary shim)")] };
}
