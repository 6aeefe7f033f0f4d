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

/// <summary>overlay: a qcow2 image backed by the input, storing the input's file name (relative: the output directory moves as a whole).</summary>
internal sealed class OverlayStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        ImageCreator.Create(c.Engine, new CreateImageRequest
        {
            Filename = c.PartialPath!,
            Format = "qcow2",
            Options = c.Step.Options(),
            BackingFile = c.From.FileName,
            BackingFormat = c.From.Format,
        }, formatting: null);
        return StepResult.Empty;
    }
}

/// <summary>resize: a copy of the input, resized (ImageResizer).</summary>
internal sealed class ResizeStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        FileCopier.Copy(c.From.Path, c.PartialPath!);
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

/// <summary>compress: convert to qcow2 with compressed clusters (convert -c) of the chosen compression type.</summary>
internal sealed class CompressStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        var options = c.Step.Options().Append(new("compression_type", c.Step.Text("type") ?? "zlib")).ToList();
        ImageConverter.Convert(c.Engine, new ConvertRequest
        {
            Sources = [c.From.Path],
            SourceFormat = c.From.Format,
            OutputFilename = c.PartialPath!,
            OutputFormat = "qcow2",
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
/// copies: in a scratch directory the overlay is copied under its own name and its backing image under the name
/// the overlay stores, so the overlay resolves to the copy without its header being touched; the rest of the
/// chain is linked to the output directory. The committed backing copy becomes this step's output.
/// </summary>
internal sealed class CommitStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        string? backingName;
        using (var probe = ImageOpener.Open(c.Engine, c.From.Path, new OpenOptions { Format = c.From.Format, NoBacking = true, NoIo = true }))
            backingName = probe.BackingFilename;
        if (backingName is null)
            throw new StepFailedException($"'{c.From.FileName}' has no backing file to commit into");
        if (!IsPlainName(backingName))
            throw new StepFailedException($"'{c.From.FileName}' names its backing file '{backingName}' with a directory; recipes keep chains inside the output directory");

        string dir = c.ScratchDirectory("commit");
        string top = Path.Combine(dir, c.From.FileName);
        string baseCopy = Path.Combine(dir, backingName);
        FileCopier.Copy(Path.Combine(c.OutputDir, backingName), baseCopy);
        FileCopier.Copy(c.From.Path, top);
        // The backing copy's own chain stays where it is: link each member into the scratch directory.
        string? below = BackingOf(c, baseCopy);
        while (below is not null)
        {
            if (!IsPlainName(below))
                throw new StepFailedException($"backing file '{below}' is named with a directory; recipes keep chains inside the output directory");
            string link = Path.Combine(dir, below);
            if (File.Exists(link)) break;
            File.CreateSymbolicLink(link, Path.Combine(c.OutputDir, below));
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
        FileCopier.Copy(c.From.Path, c.PartialPath!);
        c.Inputs.TryGetValue("backing", out var backing);
        ImageRebaser.Rebase(c.Engine, new RebaseRequest
        {
            Filename = c.PartialPath!,
            Format = c.From.Format,
            BackingFile = backing?.FileName ?? "",
            BackingFormat = backing?.Format,
            Unsafe = c.Step.Bool("unsafe"),
            Progress = c.Progress,
        });
        return StepResult.Empty;
    }
}
