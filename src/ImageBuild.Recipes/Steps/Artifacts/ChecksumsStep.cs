using ImageBuild.Packaging.Checksums;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Steps.Artifacts;

/// <summary>
/// checksums: a SHA256SUMS-style list of the chosen outputs, named as they lie in the output directory (so that
/// <c>sha256sum -c</c> run there checks them). Every file of an output of several files (a VMDK's extents) is listed.
/// </summary>
internal sealed class ChecksumsStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        var entries = new List<ChecksumEntry>();
        foreach (var input in c.ListInputs("outputs"))
            foreach (string file in FilesOf(c, input))
                entries.Add(new ChecksumEntry(Path.GetFileName(file), file));
        var algorithm = ArtifactKinds.ChecksumAlgorithmOf(c.Step);
        ChecksumFile.Write(c.PartialPath!, algorithm, entries, c.Progress, c.Cancellation);
        return new StepResult { Note = $"{c.Step.Text("algorithm") ?? "sha256"} of {entries.Count} file(s)" };
    }

    /// <summary>An input's files: the artifact, or every host file of the image (main file first).</summary>
    private static IReadOnlyList<string> FilesOf(StepContext c, StepInput input)
    {
        if (input.Artifact) return [input.Path];
        IReadOnlyList<string> files;
        using (var dev = Engine.Block.ImageOpener.Open(c.Engine, input.Path, new Engine.Block.OpenOptions { Format = input.Format, NoBacking = true, NoIo = true, ForceShare = true }))
            files = [.. dev.HostFileNames.Select(Path.GetFullPath)];
        // Names are written as sha256sum -c reads them from the output directory: a file elsewhere (an existing image
        // a recipe starts from) could not be checked there.
        foreach (string file in files)
            if (Path.GetDirectoryName(file) != Path.GetFullPath(c.OutputDir))
                throw new StepFailedException($"'{file}' is not in the output directory; a checksum list names the files beside it (list the outputs of steps, not existing images)");
        return files;
    }
}
