using ImageBuild.Engine;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Loading;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Hosting;

/// <summary>
/// The entry point for hosts (MSBuild tasks, Cake aliases): validate, plan or run a recipe exactly as
/// <c>imagebuild validate|plan|run</c> do, with every problem returned as a <see cref="HostDiagnostic"/> instead of
/// thrown or printed. Same state as the command line: a recipe run by either skips what the other built.
/// </summary>
public static class RecipeHost
{
    public static HostResult Validate(RecipeRunRequest request) => Execute(request, Mode.Validate);

    public static HostResult Plan(RecipeRunRequest request) => Execute(request, Mode.Plan);

    public static HostResult Run(RecipeRunRequest request) => Execute(request, Mode.Run);

    private enum Mode { Validate, Plan, Run }

    private static HostResult Execute(RecipeRunRequest request, Mode mode)
    {
        string path = Path.GetFullPath(request.RecipePath, request.BaseDirectory);
        Recipe recipe;
        try
        {
            recipe = RecipeLoader.Load(path, request.Variables, context: RecipeLoader.EngineFor(request.UntrustedImages),
                secrets: request.Secrets.Select(s => s.AnchoredAt(request.BaseDirectory)).ToList());
        }
        catch (RecipeException e)
        {
            return HostResult.Failed(Invalid(e));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return HostResult.Failed(new HostDiagnostic(DiagnosticCodes.InvalidRecipe, $"cannot read recipe: {e.Message}", path));
        }
        if (mode == Mode.Validate)
            return new HostResult { Succeeded = true, OutputDir = RecipeRunner.ResolveOutputDir(recipe, OutputDir(request)) };

        var options = new RunOptions
        {
            OutputDir = OutputDir(request),
            Jobs = request.Jobs ?? Math.Max(1, Environment.ProcessorCount),
            Sinks = request.Sinks,
            Cancellation = request.Cancellation,
            Cache = request.Cache,
        };
        return Run(recipe, options, mode == Mode.Plan);
    }

    /// <summary>Runs (or plans) a loaded recipe; shared with <see cref="ImageOperations"/>.</summary>
    internal static HostResult Run(Recipe recipe, RunOptions options, bool plan)
    {
        RunResult result;
        try
        {
            var runner = new RecipeRunner(recipe, options);
            result = plan ? runner.Plan() : runner.Run();
        }
        catch (RecipeException e)
        {
            return HostResult.Failed(Invalid(e));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageException)
        {
            return HostResult.Failed(new HostDiagnostic(DiagnosticCodes.OutputUnavailable, e.Message.Replace('\n', ' ')));
        }
        return new HostResult
        {
            Succeeded = result.Succeeded,
            OutputDir = result.OutputDir,
            Steps = result.Steps,
            SummaryPath = result.SummaryPath,
            StateFiles = RecipeRunner.StateFiles(result.OutputDir, options.StateName)
                .Append(result.SummaryPath).OfType<string>().Where(File.Exists).ToList(),
            Diagnostics = Diagnose(recipe, result, options.Cancellation),
        };
    }

    private static List<HostDiagnostic> Diagnose(Recipe recipe, RunResult result, CancellationToken cancellation)
    {
        var list = new List<HostDiagnostic>();
        if (cancellation.IsCancellationRequested && !result.Succeeded)
        {
            var stopped = result.Steps.Where(s => s.Status is StepStatus.Failed or StepStatus.Blocked).Select(s => s.Id).ToList();
            list.Add(new HostDiagnostic(DiagnosticCodes.Cancelled,
                $"cancelled: {stopped.Count} step(s) not completed ({string.Join(", ", stopped)}); nothing half-written was kept", recipe.File));
            return list;
        }
        foreach (var s in result.Steps.Where(s => s.Status == StepStatus.Failed))
        {
            var step = recipe.Find(s.Id)!;
            list.Add(new HostDiagnostic(DiagnosticCodes.StepFailed, $"step '{s.Id}' ({s.Kind}) failed: {s.Reason}",
                recipe.File, step.Mark.Line, step.Mark.Column));
        }
        return list;
    }

    private static HostDiagnostic[] Invalid(RecipeException e) =>
        e.Errors.Select(err => new HostDiagnostic(DiagnosticCodes.InvalidRecipe, err.Message, err.File, err.Line, err.Column)).ToArray();

    private static string? OutputDir(RecipeRunRequest request) =>
        request.OutputDir is null ? null : Path.GetFullPath(request.OutputDir, request.BaseDirectory);
}
