using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Steps;

/// <summary>An image another step produced, as an input of this one.</summary>
/// <param name="Path">Full path in the output directory.</param>
/// <param name="FileName">Its file name (what a backing reference stores).</param>
/// <param name="Format">Its format.</param>
public sealed record StepInput(string Path, string FileName, string Format)
{
    /// <summary>The input is another step's artifact (a file that is not a disk image; <see cref="Format"/> is empty).</summary>
    public bool Artifact { get; init; }
}

/// <summary>What a step's executor gets: the step, its inputs, where to write, and the engine.</summary>
public sealed class StepContext
{
    public required RecipeStep Step { get; init; }
    public required Recipe Recipe { get; init; }
    public required ImageContext Engine { get; init; }

    /// <summary>Output directory (absolute).</summary>
    public required string OutputDir { get; init; }

    /// <summary>Inputs by name: parameter name (from, image, backing), or PARAM[i] for a list's items (disks, outputs).</summary>
    public required IReadOnlyDictionary<string, StepInput> Inputs { get; init; }

    /// <summary>
    /// Where the output image is written: its final name in the step's private folder (so that an image of several
    /// files names them by their final names), or a hidden temporary name beside the final one for an output that
    /// names another image relatively; null when none. The runner moves it into place.
    /// </summary>
    public string? PartialPath { get; init; }

    /// <summary>The output's format (known statically).</summary>
    public string? OutputFormat { get; init; }

    /// <summary>Progress in percent for the engine operations that report it.</summary>
    public required Action<double> Progress { get; init; }

    /// <summary>The run's cancellation (long operations also stop at their next <see cref="Progress"/> report).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>The run's folder scans (a step writes the tree its key was computed from).</summary>
    public Cache.TreeScans Trees { get; init; } = new();

    public StepInput From => Inputs["from"];

    /// <summary>The inputs a list parameter names (disks, outputs), in the recipe's order.</summary>
    public IReadOnlyList<StepInput> ListInputs(string param)
    {
        var list = new List<StepInput>();
        for (int i = 0; Inputs.TryGetValue(Model.RecipeGraph.ListInputName(param, i), out var input); i++) list.Add(input);
        return list;
    }

    /// <summary>
    /// Copies an input image to <paramref name="dest"/> for the step to change (reflink or sparse copy). An existing
    /// image elsewhere that names its backing file relative to its own directory gets its copy's backing name
    /// rewritten so that it still names the same file from the directory the output ends up in. An image of several
    /// files (a VMDK descriptor and its extents) is copied as a whole, its other files under their own names beside
    /// the copy, which must be in the step's private folder; it is refused when its copy would still name the
    /// input's files (a qcow2 data file, which qemu resolves from the working directory, or an absolute name).
    /// </summary>
    public void CopyImage(StepInput input, string dest)
    {
        string srcDir = System.IO.Path.GetDirectoryName(input.Path)!;
        string destDir = System.IO.Path.GetDirectoryName(dest)!;
        IReadOnlyList<string> others = [];
        using (var source = ImageOpener.Open(Engine, input.Path, new OpenOptions { Format = input.Format, NoBacking = true, NoIo = true, ForceShare = true }))
        {
            if (source.HostFileNames.Count > 1)
            {
                string Refusal(string why) => $"'{input.FileName}' keeps its data in other files too ({string.Join(", ", source.HostFileNames.Skip(1).Select(n => $"'{n}'"))}); " +
                    $"this step changes a copy of its input, and {why}: convert it first";
                if (destDir == srcDir || destDir == OutputDir)
                    throw new StepFailedException(Refusal("an image of several files is copied only into a step's own folder, never beside other images (an output naming a backing file is written there)"));
                try
                {
                    others = Execution.ImageFiles.NamesOf(source, input.Path, input.FileName).Skip(1).ToList();
                }
                catch (ImageBuild.Engine.ImageException)
                {
                    throw new StepFailedException(Refusal("such images are copied only when their other files are beside them"));
                }
            }
        }
        Host.FileCopier.Copy(input.Path, dest);
        foreach (string name in others)
            Host.FileCopier.Copy(System.IO.Path.Combine(srcDir, name), System.IO.Path.Combine(destDir, name));
        string? name0, format;
        using (var probe = ImageOpener.Open(Engine, dest, new OpenOptions { Format = input.Format, NoBacking = true, NoIo = true }))
        {
            (name0, format) = (probe.BackingFilename, probe.BackingFormat);
            // The copy must name its own files, not the input's: else the step would change its input through it.
            if (others.Count > 0 && !probe.HostFileNames.Skip(1).Select(System.IO.Path.GetFullPath)
                    .SequenceEqual(others.Select(n => System.IO.Path.Combine(destDir, n))))
                throw new StepFailedException($"'{input.FileName}' keeps its data in other files too, named so that a copy would still use the input's files; this step changes a copy of its input: convert it first");
        }
        // Where the output ends up: the output directory when the copy is the step's output in its private folder.
        string finalDir = dest == PartialPath ? OutputDir : destDir;
        if (name0 is null || System.IO.Path.IsPathRooted(name0) || srcDir == finalDir)
            return;
        string target = ImageOpener.ResolveBackingName(input.Path, name0);
        using var copy = ImageOpener.Open(Engine, dest, new OpenOptions { Format = input.Format, Writable = true, NoBacking = true });
        copy.ChangeBackingFile(System.IO.Path.GetRelativePath(finalDir, target), format);
    }

    /// <summary>A scratch file name in the output directory, removed by the runner when the step ends.</summary>
    public string Scratch(string suffix) => System.IO.Path.Combine(OutputDir, $".{Step.Id}~{suffix}.partial");

    /// <summary>A fresh scratch directory in the output directory, removed by the runner when the step ends.</summary>
    public string ScratchDirectory(string suffix)
    {
        string dir = Scratch(suffix);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>What a step reports besides its output image.</summary>
public sealed record StepResult
{
    public static readonly StepResult Empty = new();
    public long? MeasuredRequired { get; init; }
    public long? MeasuredFullyAllocated { get; init; }
    public string? MeasuredFormat { get; init; }
    public string? Note { get; init; }
    /// <summary>Set when the step ran to the end but its outcome fails the pipeline (a measure limit).</summary>
    public string? Failure { get; init; }
}

/// <summary>
/// Carries out one kind of step. Implementations change only <see cref="StepContext.PartialPath"/> (with, for an image
/// of several files, its other files beside it in the step's private folder) and scratch files.
/// </summary>
public interface IStepExecutor
{
    StepResult Execute(StepContext context);
}

/// <summary>A step failed for a reason the user should read (one line).</summary>
public sealed class StepFailedException(string message) : Exception(message);
