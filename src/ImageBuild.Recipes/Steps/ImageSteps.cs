using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Recipes.Host;

namespace ImageBuild.Recipes.Steps;

/// <summary>create: a blank image (ImageCreator, as qemu-img create).</summary>
internal sealed class CreateStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        ImageCreator.Create(c.Engine, new CreateImageRequest
        {
            Filename = c.PartialPath!,
            Format = c.OutputFormat!,
            Size = c.Step.Number("size"),
            Options = c.Step.Options(),
        }, formatting: null);
        return StepResult.Empty;
    }
}

/// <summary>overlay: an image (qcow2 unless the step names a format) backed by the input, storing the input's file name (relative: the output directory moves as a whole).</summary>
internal sealed class OverlayStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        ImageCreator.Create(c.Engine, new CreateImageRequest
        {
            Filename = c.PartialPath!,
            Format = c.OutputFormat!,
            Options = c.Step.Options(),
            BackingFile = BackingNames.For(c, c.From),
            BackingFormat = c.From.Format,
        }, formatting: null);
        return StepResult.Empty;
    }
}

/// <summary>How an overlay in the output directory names an input: by file name, or relative to the output directory for an existing image elsewhere.</summary>
internal static class BackingNames
{
    public static string For(StepContext c, StepInput input) =>
        Path.IsPathRooted(input.FileName) ? Path.GetRelativePath(c.OutputDir, input.Path) : input.FileName;
}

/// <summary>resize: a copy of the input, resized (ImageResizer).</summary>
internal sealed class ResizeStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        c.CopyImage(c.From, c.PartialPath!);
        ImageResizer.Resize(c.Engine, new ResizeRequest
        {
            Filename = c.PartialPath!,
            Format = c.From.Format,
            Size = c.Step.Text("size")!,
            Shrink = c.Step.Bool("shrink"),
            Preallocation = c.Step.Text("preallocation"),
        });
        return StepResult.Empty;
    }
}

/// <summary>convert: the input converted (ImageConverter, in-order writes so the output is deterministic).</summary>
internal sealed class ConvertStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        ImageConverter.Convert(c.Engine, new ConvertRequest
        {
            Sources = [c.From.Path],
            SourceFormat = c.From.Format,
            OutputFilename = c.PartialPath!,
            OutputFormat = c.OutputFormat!,
            TargetOptions = c.Step.Options(),
            OutOfOrder = false,
            Progress = c.Progress,
        });
        return StepResult.Empty;
    }
}

/// <summary>compress: convert with compressed clusters (convert -c) to the step's format, of the chosen compression type.</summary>
internal sealed class CompressStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        var options = CompressStepOptions.Of(c.Step) ?? c.Step.Options().ToList();
        ImageConverter.Convert(c.Engine, new ConvertRequest
        {
            Sources = [c.From.Path],
            SourceFormat = c.From.Format,
            OutputFilename = c.PartialPath!,
            OutputFormat = c.OutputFormat!,
            TargetOptions = options,
            Compress = true,
            OutOfOrder = false,
            Progress = c.Progress,
        });
        return StepResult.Empty;
    }
}

/// <summary>
/// commit: the overlay's backing image with the overlay's data committed into it, by the engine's commit, on
/// copies: in a scratch directory the overlay is copied under its own name and its backing image under the plain
/// name the overlay stores (an overlay elsewhere that names its backing with a directory gets its copy pointed at
/// the backing copy: it is a scratch copy), and the rest of the chain is linked in. The committed backing copy
/// becomes this step's output.
/// </summary>
internal sealed class CommitStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        string? backingName, backingFormat;
        using (var probe = ImageOpener.Open(c.Engine, c.From.Path, new OpenOptions { Format = c.From.Format, NoBacking = true, NoIo = true }))
            (backingName, backingFormat) = (probe.BackingFilename, probe.BackingFormat);
        if (backingName is null)
            throw new StepFailedException($"'{c.From.FileName}' has no backing file to commit into");
        string backingPath = ImageOpener.ResolveBackingName(c.From.Path, backingName);
        // The scratch copies are single files: an image of several would share its other files with its copy.
        foreach (var (path, format) in new[] { (c.From.Path, c.From.Format), (backingPath, backingFormat) })
        {
            using var dev = ImageOpener.Open(c.Engine, path, new OpenOptions { Format = format, NoBacking = true, NoIo = true, ForceShare = true });
            if (dev.HostFileNames.Count > 1)
                throw new StepFailedException($"'{Path.GetFileName(path)}' keeps its data in other files too; commit works on copies of single-file images: convert it first");
        }

        string dir = c.ScratchDirectory("commit");
        string top = Path.Combine(dir, Path.GetFileName(c.From.Path));
        string baseCopy = Path.Combine(dir, IsPlainName(backingName) ? backingName : Path.GetFileName(backingPath));
        if (baseCopy == top)
            throw new StepFailedException($"'{c.From.FileName}' and its backing file '{backingName}' have the same file name");
        FileCopier.Copy(backingPath, baseCopy);
        FileCopier.Copy(c.From.Path, top);
        if (!IsPlainName(backingName))
        {
            using var copy = ImageOpener.Open(c.Engine, top, new OpenOptions { Format = c.From.Format, Writable = true, NoBacking = true });
            copy.ChangeBackingFile(Path.GetFileName(baseCopy), backingFormat);
        }
        // The backing copy's own chain stays where it is: link each member into the scratch directory.
        string original = backingPath;
        string? below = BackingOf(c, baseCopy);
        while (below is not null)
        {
            if (!IsPlainName(below))
                throw new StepFailedException($"backing file '{below}' of '{Path.GetFileName(original)}' is named with a directory; commit copies need chains named by plain file names");
            string link = Path.Combine(dir, below);
            if (File.Exists(link)) break;
            original = ImageOpener.ResolveBackingName(original, below);
            File.CreateSymbolicLink(link, original);
            below = BackingOf(c, link);
        }
        ImageCommitter.Commit(c.Engine, new CommitRequest { Filename = top, Format = c.From.Format, Drop = true, Progress = c.Progress });
        File.Move(baseCopy, c.PartialPath!, overwrite: true);
        return StepResult.Empty;
    }

    private static string? BackingOf(StepContext c, string path)
    {
        using var dev = ImageOpener.Open(c.Engine, path, new OpenOptions { NoBacking = true, NoIo = true });
        return dev.BackingFilename;
    }

    private static bool IsPlainName(string name) => name.Length > 0 && !name.Contains('/') && name is not "." and not "..";
}

/// <summary>rebase: a copy of the input with a new backing file (safe mode unless unsafe), or flattened without one.</summary>
internal sealed class RebaseStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        c.CopyImage(c.From, c.PartialPath!);
        c.Inputs.TryGetValue("backing", out var backing);
        ImageRebaser.Rebase(c.Engine, new RebaseRequest
        {
            Filename = c.PartialPath!,
            Format = c.From.Format,
            BackingFile = backing is null ? "" : BackingNames.For(c, backing),
            BackingFormat = backing?.Format,
            Unsafe = c.Step.Bool("unsafe"),
            Progress = c.Progress,
        });
        return StepResult.Empty;
    }
}

/// <summary>snapshot: a copy of the input with an internal snapshot created, dated reproducibly.</summary>
internal sealed class SnapshotStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        long seconds = c.Step.Number("date") ?? BuildEnvironment.SourceDateEpoch();
        c.CopyImage(c.From, c.PartialPath!);
        ImageSnapshotter.Run(c.Engine, new SnapshotRequest
        {
            Filename = c.PartialPath!,
            Action = SnapshotAction.Create,
            Snapshot = c.Step.Text("name"),
            Date = DateTimeOffset.FromUnixTimeSeconds(seconds),
        });
        return StepResult.Empty;
    }
}

/// <summary>The create options of a compress step: its options, plus compression_type when the step names a type.</summary>
internal static class CompressStepOptions
{
    public static List<KeyValuePair<string, string>>? Of(Model.RecipeStep step) =>
        step.Text("type") is { } type ? step.Options().Append(new("compression_type", type)).ToList() : null;
}
