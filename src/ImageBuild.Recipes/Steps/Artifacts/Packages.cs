using ImageBuild.Packaging;
using ImageBuild.Packaging.Ovf;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Steps.Artifacts;

/// <summary>What a deliverable step hands its packager: the context and the recipe's description of the machine.</summary>
internal static class Packages
{
    private const long MiB = 1024 * 1024;
    private static readonly VirtualHardware Defaults = new() { Name = "" };

    /// <summary>
    /// The packager's context: the step's engine (whose identity source is derived from the step's key), members dated
    /// SOURCE_DATE_EPOCH, scratch files the runner removes, the run's progress and cancellation, every core.
    /// </summary>
    public static PackageContext ContextFor(StepContext c) => new()
    {
        Engine = c.Engine,
        MtimeSeconds = BuildEnvironment.SourceDateEpoch(),
        Scratch = c.Scratch,
        Progress = c.Progress,
        Cancellation = c.Cancellation,
    };

    public static PackageDisk Disk(StepInput input) => new(input.Path, input.Format);

    /// <summary>The virtual machine the step describes (parameters the loader and validator have checked).</summary>
    public static VirtualHardware Hardware(RecipeStep step) => new()
    {
        Name = step.Text("name") ?? step.Id,
        Cpus = (int)(step.Number("cpus") ?? Defaults.Cpus),
        MemoryMiB = step.Number("memory") is { } bytes ? bytes / MiB : Defaults.MemoryMiB,
        OsType = step.Text("os-type") ?? Defaults.OsType,
        DiskController = step.Text("controller") ?? Defaults.DiskController,
        Nic = step.Text("nic") ?? Defaults.Nic,
        NetworkName = step.Text("network") ?? Defaults.NetworkName,
    };
}
