using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.IO;
using Cake.ImageBuild.Hosting;
using ImageBuild.Recipes.Hosting;

namespace Cake.ImageBuild;

/// <summary>
/// <para>
/// Builds disk images from ImageBuild recipes and runs single qemu-img style operations (create, convert with
/// compression, commit, rebase, resize, measure, check, compare, info) in-process, with the engine of the
/// <c>imagebuild</c> command: no qemu-img needed. A recipe step or operation whose parameters and input contents
/// are unchanged, and whose output is still the one it wrote, is skipped.
/// </para>
/// <para>
/// Load with <c>#addin nuget:?package=Cake.ImageBuild&amp;loaddependencies=true</c> (Cake 7, .NET 10; Linux, macOS and
/// Windows script runners). Every alias is a plain <see cref="ICakeContext"/> extension method, so Cake Frosting
/// tasks can call them as <c>context.ImageBuildRecipe(…)</c>. Relative paths are resolved against the script's working
/// directory; a failure throws <see cref="CakeException"/>, which fails the task.
/// </para>
/// </summary>
[CakeAliasCategory("ImageBuild")]
[CakeNamespaceImport("Cake.ImageBuild")]
public static partial class ImageBuildAliases
{
    /// <summary>Runs a recipe (as <c>imagebuild run RECIPE</c>): steps whose inputs are unchanged are skipped.</summary>
    /// <example><code>var result = ImageBuildRecipe("recipes/layered.yaml");</code></example>
    /// <param name="context">The context.</param>
    /// <param name="recipe">The recipe file.</param>
    /// <returns>Every step's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildRecipeResult ImageBuildRecipe(this ICakeContext context, FilePath recipe) =>
        ImageBuildRecipe(context, recipe, new ImageBuildRecipeSettings());

    /// <summary>Runs a recipe with variables, a job count, an output directory or explanations (as <c>imagebuild run</c>).</summary>
    /// <example><code>
    /// var result = ImageBuildRecipe("recipes/raw-disk.yaml", new ImageBuildRecipeSettings {
    ///     Jobs = 2, OutputDirectory = "artifacts/images", Explain = true,
    /// }.WithVariable("size", "40M"));
    /// Information("{0} ran, {1} up to date", result.RanCount, result.SkippedCount);
    /// </code></example>
    /// <param name="context">The context.</param>
    /// <param name="recipe">The recipe file.</param>
    /// <param name="settings">The settings.</param>
    /// <returns>Every step's outcome.</returns>
    /// <exception cref="CakeException">The recipe is invalid (message: file:line:col: problem) or a step failed.</exception>
    [CakeMethodAlias]
    public static ImageBuildRecipeResult ImageBuildRecipe(this ICakeContext context, FilePath recipe, ImageBuildRecipeSettings settings)
    {
        var request = RecipeRequest(context, recipe, settings, settings.Explain);
        var result = HostCall.Run($"ImageBuildRecipe '{request.RecipePath}'", () => RecipeHost.Run(request));
        return RecipeResult(result);
    }

    /// <summary>Says what a recipe run would do and why, without running or writing anything (as <c>imagebuild plan</c>).</summary>
    /// <example><code>var plan = ImageBuildPlanRecipe("recipes/layered.yaml");</code></example>
    /// <param name="context">The context.</param>
    /// <param name="recipe">The recipe file.</param>
    /// <returns>Every step, with status WouldRun or Skipped and the reason.</returns>
    [CakeMethodAlias]
    public static ImageBuildRecipeResult ImageBuildPlanRecipe(this ICakeContext context, FilePath recipe) =>
        ImageBuildPlanRecipe(context, recipe, new ImageBuildRecipeSettings());

    /// <summary>Says what a recipe run with these settings would do and why, without running or writing anything.</summary>
    /// <param name="context">The context.</param>
    /// <param name="recipe">The recipe file.</param>
    /// <param name="settings">The settings (variables and output directory matter; jobs do not).</param>
    /// <returns>Every step, with status WouldRun or Skipped and the reason.</returns>
    /// <exception cref="CakeException">The recipe is invalid.</exception>
    [CakeMethodAlias]
    public static ImageBuildRecipeResult ImageBuildPlanRecipe(this ICakeContext context, FilePath recipe, ImageBuildRecipeSettings settings)
    {
        var request = RecipeRequest(context, recipe, settings, explain: true);
        var result = HostCall.Run($"ImageBuildPlanRecipe '{request.RecipePath}'", () => RecipeHost.Plan(request));
        return RecipeResult(result);
    }

    internal static RecipeRunRequest RecipeRequest(ICakeContext context, FilePath recipe, ImageBuildRecipeSettings settings, bool explain)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(settings);
        return new RecipeRunRequest
        {
            RecipePath = HostCall.Absolute(context, recipe),
            OutputDir = settings.OutputDirectory is null ? null : HostCall.Absolute(context, settings.OutputDirectory),
            Variables = new Dictionary<string, string>(settings.Variables, StringComparer.Ordinal),
            Secrets = HostCall.Secrets(context, $"ImageBuildRecipe '{HostCall.Absolute(context, recipe)}'", settings.Secrets),
            Jobs = settings.Jobs,
            UntrustedImages = settings.UntrustedImages,
            Cache = RecipeCache.Settings(context, $"ImageBuildRecipe '{HostCall.Absolute(context, recipe)}'", settings),
            Sinks = [new CakeLogEventSink(context.Log, explain)],
            BaseDirectory = context.Environment.WorkingDirectory.FullPath,
        };
    }

    private static ImageBuildRecipeResult RecipeResult(HostResult result) => new(
        result.OutputDir is null ? null : new DirectoryPath(result.OutputDir),
        result.Steps.Select(ImageBuildStepResult.From).ToList(),
        result.SummaryPath is null ? null : new FilePath(result.SummaryPath));
}
