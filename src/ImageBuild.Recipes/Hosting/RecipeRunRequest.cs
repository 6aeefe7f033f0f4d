using ImageBuild.Recipes.Events;

namespace ImageBuild.Recipes.Hosting;

/// <summary>A recipe to validate, plan or run on behalf of a host: what <c>imagebuild run</c> takes on its command line.</summary>
public sealed record RecipeRunRequest
{
    /// <summary>The recipe file, absolute or relative to <see cref="BaseDirectory"/>.</summary>
    public required string RecipePath { get; init; }

    /// <summary>Output directory (absolute or relative to <see cref="BaseDirectory"/>); null: the recipe's output-dir, else out/NAME beside it.</summary>
    public string? OutputDir { get; init; }

    /// <summary>Variable values (<c>--set NAME=VALUE</c>).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Secrets for the recipe's options (<see cref="Model.RecipeSecret.FromEnvironment"/>, <see cref="Model.RecipeSecret.FromFile"/>,
    /// <see cref="HostSecrets.Describe"/>): each replaces the recipe's secret of the same id, or adds one. Never values.
    /// </summary>
    public IReadOnlyList<Model.RecipeSecret> Secrets { get; init; } = [];

    /// <summary>At most this many steps at once; null: the processor count.</summary>
    public int? Jobs { get; init; }

    /// <summary>Where events go (start, skip, progress, done, fail, ...), one at a time per sink.</summary>
    public IReadOnlyList<IRecipeEventSink> Sinks { get; init; } = [];

    /// <summary>Stops the run between steps and inside long engine operations; nothing half-written is kept.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// Treat the recipe's existing images as untrusted (as its <c>untrusted-images: true</c> does): they may name only
    /// regular files inside their own directory. Devices and FIFOs are never opened as images either way.
    /// </summary>
    public bool UntrustedImages { get; init; }

    /// <summary>The remote step cache (registry) to read and write; null: the recipe's <c>cache:</c> section, if any.</summary>
    public ImageBuild.Recipes.Cache.Remote.StepCacheSettings? Cache { get; init; }

    /// <summary>What relative paths are relative to.</summary>
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;
}
