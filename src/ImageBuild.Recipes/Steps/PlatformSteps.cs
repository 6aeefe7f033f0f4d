using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Recipes.Platforms;

namespace ImageBuild.Recipes.Steps;

/// <summary>azure-vhd: the input as the fixed VHD of whole MiB Azure takes (<see cref="AzureVhd"/>).</summary>
internal sealed class AzureVhdStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        long source = PaddedConvert.SourceSize(c);
        // The size is checked at validate time when the recipe fixes it; an existing image or a resize from it is
        // only known now.
        if (AzureVhd.Refusal($"'{c.From.FileName}'", source) is { } why)
            throw new StepFailedException(why);
        PaddedConvert.Run(c, AzureVhd.Format, AzureVhd.VirtualSizeFor(source)!.Value, AzureVhd.CreateOptions);
        return new StepResult { Note = AzureVhd.Describe(source) };
    }
}

/// <summary>hyperv-vhdx: the input as a VHDX with Hyper-V's recommended settings (<see cref="HyperVVhdx"/>).</summary>
internal sealed class HyperVVhdxStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        long source = PaddedConvert.SourceSize(c);
        PaddedConvert.Run(c, HyperVVhdx.Format, HyperVVhdx.VirtualSizeFor(source, HyperVVhdx.LogicalSectorSize(c.Step)), HyperVVhdx.CreateOptions(c.Step));
        return new StepResult { Note = HyperVVhdx.Describe(c.Step, source) };
    }
}

/// <summary>
/// A conversion into a target at least as large as the source, with existing engine operations: create the target
/// at its size with its options (as <c>qemu-img create</c>), then copy the source into it (as <c>qemu-img convert
/// -n --target-is-zero</c>: the new image reads as zeros, so zero ranges stay unwritten and the tail past the source
/// reads as zeros). With a target of the source's size the bytes are those <c>qemu-img convert -O FORMAT -o
/// OPTIONS</c> writes. (The engine's convert creates its target at the source's size; a "target size" for convert
/// would save the separate create.)
/// </summary>
internal static class PaddedConvert
{
    public static long SourceSize(StepContext c)
    {
        using var source = ImageOpener.Open(c.Engine, c.From.Path, new OpenOptions { Format = c.From.Format, NoBacking = true, NoIo = true, ForceShare = true });
        return source.VirtualSize;
    }

    public static void Run(StepContext c, string format, long size, IReadOnlyList<KeyValuePair<string, string>> options)
    {
        ImageCreator.Create(c.Engine, new CreateImageRequest
        {
            Filename = c.PartialPath!,
            Format = format,
            Size = size,
            Options = options,
        }, formatting: null);
        ImageConverter.Convert(c.Engine, new ConvertRequest
        {
            Sources = [c.From.Path],
            SourceFormat = c.From.Format,
            OutputFilename = c.PartialPath!,
            OutputFormat = format,
            NoCreate = true,
            TargetIsZero = true,
            OutOfOrder = false,
            Progress = c.Progress,
        });
    }
}
