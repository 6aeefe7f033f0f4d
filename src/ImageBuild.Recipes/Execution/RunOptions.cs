using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Execution;

/// <summary>How to run (or plan) a recipe.</summary>
public sealed record RunOptions
{
    /// <summary>Output directory; null uses the recipe's output-dir, else out/NAME beside the recipe.</summary>
    public string? OutputDir { get; init; }

    /// <summary>At most this many steps run at once.</summary>
    public int Jobs { get; init; } = Math.Max(1, Environment.ProcessorCount);

    public IReadOnlyList<IRecipeEventSink> Sinks { get; init; } = [];

    /// <summary>The step kinds and their engine versions (tests and future engines change versions here).</summary>
    public StepKinds Kinds { get; init; } = StepKinds.Default;

    public ImageContext? Engine { get; init; }

    /// <summary>Which executor carries out a kind (the engine-backed ones by default; tests wrap them to observe).</summary>
    internal Func<string, Steps.IStepExecutor?> ExecutorFor { get; init; } = Steps.StepExecutors.For;

    /// <summary>
    /// Cancels the run: steps not started yet are not run, and a running engine operation stops at its next
    /// progress report; its temporary output is deleted, so nothing half-written is ever trusted.
    /// </summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// The name of the state this run keeps in OUTPUT/.imagebuild/ (NAME.json, NAME.lock). Recipe runs share the
    /// default; single operations (<see cref="Hosting.ImageOperations"/>) keep one each, so several can share a directory.
    /// </summary>
    public string StateName { get; init; } = ImageBuild.Recipes.Cache.BuildState.DefaultName;

    /// <summary>
    /// Whether records and outputs of steps no longer in the recipe are removed after the run, and every leftover
    /// temporary file of the directory before it (recipe runs); single operations touch only their own files.
    /// </summary>
    public bool OwnsOutputDir { get; init; } = true;

    /// <summary>The remote step cache given by the host (command line, MSBuild, Cake); null: the recipe's own <c>cache:</c>.</summary>
    public ImageBuild.Recipes.Cache.Remote.StepCacheSettings? Cache { get; init; }

    /// <summary>
    /// The step caches themselves, in place of opening the stores <see cref="Cache"/> and the recipe name (tests give
    /// an in-memory store here). The runner disposes them when the run or plan ends.
    /// </summary>
    internal Func<ImageBuild.Recipes.Cache.Remote.StepCaches?>? RemoteCaches { get; init; }

    /// <summary>
    /// Opens the store a reference names (the registry by default) with the settings' TLS and credentials; warnings go
    /// to the callback; the state remembers layer digests.
    /// </summary>
    internal Func<string, ImageBuild.Recipes.Cache.Remote.StepCacheSettings, Action<string>, ImageBuild.Recipes.Cache.BuildState, ImageBuild.Recipes.Cache.Remote.IStepCache> OpenStore { get; init; } =
        ImageBuild.Recipes.Cache.Remote.OciStepCache.Open;
}

public enum StepStatus
{
    /// <summary>Ran and succeeded.</summary>
    Ran,
    /// <summary>Up to date: key and output unchanged.</summary>
    Skipped,
    /// <summary>Ran and failed.</summary>
    Failed,
    /// <summary>Not run because a step it depends on failed.</summary>
    Blocked,
    /// <summary>Plan only: would run.</summary>
    WouldRun,
    /// <summary>Its output (or, for a gate, its record) came from the remote step cache instead of being built; a success, as Ran is.</summary>
    Pulled,
    /// <summary>Plan only: the remote step cache has its key, so a run would pull it.</summary>
    WouldPull,
}

/// <summary>What happened to one step, and what its output is.</summary>
public sealed record StepOutcome
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    /// <summary>The step whose image this step reads (its <c>from</c>), e.g. the image a measure step measured.</summary>
    public string? From { get; init; }
    public required StepStatus Status { get; init; }
    /// <summary>Why it ran, was skipped, failed or was blocked.</summary>
    public required string Reason { get; init; }
    public string? Output { get; init; }
    public string? OutputPath { get; init; }
    /// <summary>
    /// Every file of the output (absolute, <see cref="OutputPath"/> first): one, or an image of several files (a VMDK
    /// descriptor and its extents). Hosts report and clean all of them.
    /// </summary>
    public IReadOnlyList<string> OutputFiles { get; init; } = [];
    /// <summary>The output is an artifact (an archive, an OVA, a checksum list): a file, not a disk image; no format or virtual size.</summary>
    public bool Artifact { get; init; }
    public string? Format { get; init; }
    public long? VirtualSize { get; init; }
    /// <summary>Bytes of the output's files (all of them, for an image of several).</summary>
    public long? FileSize { get; init; }
    public string? Hash { get; init; }
    public string? MeasuredFormat { get; init; }
    public long? MeasuredRequired { get; init; }
    public long? MeasuredFullyAllocated { get; init; }
    public string? Note { get; init; }
    public double Seconds { get; init; }
}

/// <summary>A run's (or plan's) outcome.</summary>
public sealed record RunResult(bool Succeeded, string OutputDir, IReadOnlyList<StepOutcome> Steps, string? SummaryPath)
{
    public StepOutcome this[string id] => Steps.First(s => s.Id == id);
}
