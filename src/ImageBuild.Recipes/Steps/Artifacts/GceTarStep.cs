using ImageBuild.Engine.Block;
using ImageBuild.Packaging.Gce;

namespace ImageBuild.Recipes.Steps.Artifacts;

/// <summary>gce-tar: the image as the disk.raw tarball Google Compute Engine imports.</summary>
internal sealed class GceTarStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        long size;
        using (var source = ImageOpener.Open(c.Engine, c.From.Path, new OpenOptions { Format = c.From.Format, NoBacking = true, NoIo = true, ForceShare = true }))
            size = source.VirtualSize;
        // Known only now when the size depends on what ran (the validator refuses sizes a recipe fixes).
        if (GceImage.Refusal($"'{c.From.FileName}'", size) is { } why)
            throw new StepFailedException(why);
        var result = GceTarWriter.Write(Packages.ContextFor(c), new GceTarRequest(Packages.Disk(c.From)), c.PartialPath!);
        return new StepResult { Note = result.Note };
    }
}
