using ImageBuild.Recipes.Execution;

namespace ImageBuild.Recipes.Hosting;

/// <summary>What a host gets back from a run, plan, validation or single operation. Never thrown: read <see cref="Diagnostics"/>.</summary>
public sealed record HostResult
{
    public bool Succeeded { get; init; }

    /// <summary>Absolute output directory (null when the recipe could not be loaded).</summary>
    public string? OutputDir { get; init; }

    /// <summary>Every step in recipe order (a single operation: its input steps, then the operation last).</summary>
    public IReadOnlyList<StepOutcome> Steps { get; init; } = [];

    /// <summary>The machine-readable summary written by a run (null for plan and validate).</summary>
    public string? SummaryPath { get; init; }

    /// <summary>
    /// The run's bookkeeping files that exist (state, lock, summary): with the produced images, what a build owns and
    /// a clean may remove.
    /// </summary>
    public IReadOnlyList<string> StateFiles { get; init; } = [];

    public IReadOnlyList<HostDiagnostic> Diagnostics { get; init; } = [];

    internal static HostResult Failed(params HostDiagnostic[] diagnostics) => new() { Succeeded = false, Diagnostics = diagnostics };
}
