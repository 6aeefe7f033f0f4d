using Cake.Core.IO;

namespace Cake.ImageBuild;

/// <summary>The outcome of a recipe run (or plan): every step, the output directory and the run summary.</summary>
public sealed class ImageBuildRecipeResult
{
    internal ImageBuildRecipeResult(DirectoryPath? outputDirectory, IReadOnlyList<ImageBuildStepResult> steps, FilePath? summaryPath)
    {
        OutputDirectory = outputDirectory;
        Steps = steps;
        SummaryPath = summaryPath;
    }

    /// <summary>The directory the recipe's images were written to.</summary>
    public DirectoryPath? OutputDirectory { get; }

    /// <summary>Every step, in recipe order.</summary>
    public IReadOnlyList<ImageBuildStepResult> Steps { get; }

    /// <summary>The JSON run summary written beside the outputs (null for plans).</summary>
    public FilePath? SummaryPath { get; }

    /// <summary>Steps that ran.</summary>
    public int RanCount => Steps.Count(s => s.Status == ImageBuildStepStatus.Ran);

    /// <summary>Steps skipped as up to date.</summary>
    public int SkippedCount => Steps.Count(s => s.Status == ImageBuildStepStatus.Skipped);

    /// <summary>Steps pulled from the remote step cache instead of built.</summary>
    public int PulledCount => Steps.Count(s => s.Status == ImageBuildStepStatus.Pulled);

    /// <summary>The step with this id.</summary>
    /// <exception cref="KeyNotFoundException">No step has that id.</exception>
    public ImageBuildStepResult this[string id] =>
        Steps.FirstOrDefault(s => s.Id == id) ?? throw new KeyNotFoundException($"the recipe has no step '{id}'");
}
