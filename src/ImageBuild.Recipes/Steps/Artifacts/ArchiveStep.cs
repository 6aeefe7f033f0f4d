using ImageBuild.Packaging.Compression;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Steps.Artifacts;

/// <summary>archive: an output (image or artifact) compressed with gzip, zstd or xz into a new output.</summary>
internal sealed class ArchiveStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        var method = ArtifactKinds.CompressionOf(c.Step);
        int level = (int)(c.Step.Number("level") ?? Compressors.Levels(method).Default);
        var result = Compressors.CompressFile(c.From.Path, c.PartialPath!, method, level, threads: 0, c.Progress, c.Cancellation);
        double ratio = result.InputBytes == 0 ? 0 : 100.0 * result.OutputBytes / result.InputBytes;
        return new StepResult
        {
            Note = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{Compressors.Name(method)} level {level}: {result.InputBytes} -> {result.OutputBytes} bytes ({ratio:0.0}%)"),
        };
    }
}
