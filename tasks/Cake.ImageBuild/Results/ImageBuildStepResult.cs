using Cake.Core.IO;
using ImageBuild.Recipes.Execution;

namespace Cake.ImageBuild;

/// <summary>What happened to a recipe step or a single operation.</summary>
public enum ImageBuildStepStatus
{
    /// <summary>Ran and succeeded.</summary>
    Ran,
    /// <summary>Up to date: parameters, inputs and output unchanged since the last run.</summary>
    Skipped,
    /// <summary>Ran and failed.</summary>
    Failed,
    /// <summary>Not run because a step it depends on failed.</summary>
    Blocked,
    /// <summary>Plan only: would run.</summary>
    WouldRun,
    /// <summary>Its output (or a gate's record) came from the remote step cache instead of being built; a success, as Ran is.</summary>
    Pulled,
    /// <summary>Plan only: the remote step cache has its key, so a run would pull it.</summary>
    WouldPull,
}

/// <summary>One recipe step's or operation's outcome and its output.</summary>
public sealed class ImageBuildStepResult
{
    /// <summary>The step id (for single operations, the operation's own id).</summary>
    public required string Id { get; init; }

    /// <summary>The step kind: create, convert, measure…</summary>
    public required string Kind { get; init; }

    /// <summary>Ran, skipped, pulled, failed, blocked.</summary>
    public required ImageBuildStepStatus Status { get; init; }

    /// <summary>Why it ran, was skipped, failed or was blocked.</summary>
    public required string Reason { get; init; }

    /// <summary>The image or artifact the step wrote (absolute); null for steps without output (check, measure, compare).</summary>
    public FilePath? OutputPath { get; init; }

    /// <summary>
    /// Every file of the output image (absolute, <see cref="OutputPath"/> first): one file, or an image of several
    /// (a VMDK descriptor and its extents), which is copied, cleaned and archived as a whole; empty without output.
    /// </summary>
    public IReadOnlyList<FilePath> OutputFiles { get; init; } = [];

    /// <summary>
    /// The output is an artifact (an OVA, a Vagrant box, a GCE tarball, a checksum list, a compressed archive): a file
    /// that is not a disk image, without <see cref="Format"/> or <see cref="VirtualSize"/>.
    /// </summary>
    public bool IsArtifact { get; init; }

    /// <summary>Format of the output image (null for an artifact).</summary>
    public string? Format { get; init; }

    /// <summary>Virtual (guest) size of the output image in bytes.</summary>
    public long? VirtualSize { get; init; }

    /// <summary>Size of the output's files in bytes (all of them, for an image of several).</summary>
    public long? FileSize { get; init; }

    /// <summary>Content hash of the output file (the skip key's input for later steps).</summary>
    public string? Hash { get; init; }

    /// <summary>measure: the format measured for.</summary>
    public string? MeasuredFormat { get; init; }

    /// <summary>measure: bytes required for the image in that format.</summary>
    public long? MeasuredRequired { get; init; }

    /// <summary>measure: bytes of a fully allocated image in that format.</summary>
    public long? MeasuredFullyAllocated { get; init; }

    /// <summary>A remark from the step (check's findings, compare's verdict…).</summary>
    public string? Note { get; init; }

    /// <summary>Wall time of the step in seconds (0 when skipped).</summary>
    public double Seconds { get; init; }

    /// <summary>True when the step was up to date and did nothing.</summary>
    public bool Skipped => Status == ImageBuildStepStatus.Skipped;

    /// <inheritdoc/>
    public override string ToString() => $"{Id} ({Kind}): {Status}, {Reason}";

    internal static ImageBuildStepResult From(StepOutcome o) => new()
    {
        Id = o.Id,
        Kind = o.Kind,
        Status = o.Status switch
        {
            StepStatus.Ran => ImageBuildStepStatus.Ran,
            StepStatus.Skipped => ImageBuildStepStatus.Skipped,
            StepStatus.Failed => ImageBuildStepStatus.Failed,
            StepStatus.Blocked => ImageBuildStepStatus.Blocked,
            StepStatus.Pulled => ImageBuildStepStatus.Pulled,
            StepStatus.WouldPull => ImageBuildStepStatus.WouldPull,
            _ => ImageBuildStepStatus.WouldRun,
        },
        Reason = o.Reason,
        OutputPath = o.OutputPath is null ? null : new FilePath(o.OutputPath),
        OutputFiles = o.OutputFiles.Select(f => new FilePath(f)).ToList(),
        IsArtifact = o.Artifact,
        Format = o.Format,
        VirtualSize = o.VirtualSize,
        FileSize = o.FileSize,
        Hash = o.Hash,
        MeasuredFormat = o.MeasuredFormat,
        MeasuredRequired = o.MeasuredRequired,
        MeasuredFullyAllocated = o.MeasuredFullyAllocated,
        Note = o.Note,
        Seconds = o.Seconds,
    };
}
