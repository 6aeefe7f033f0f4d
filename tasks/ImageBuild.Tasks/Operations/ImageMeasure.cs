using ImageBuild.Recipes.Execution;
using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>
/// `qemu-img measure -O FORMAT [-o OPTIONS] IMAGE` (recipe kind measure): the sizes an image converted to
/// <see cref="Format"/> needs, as output parameters; fails above <see cref="MaxRequired"/> /
/// <see cref="MaxFullyAllocated"/>.
/// </summary>
public sealed class ImageMeasure : ImageOperationTask
{
    [Required] public string Input { get; set; } = "";
    public string? InputFormat { get; set; }
    /// <summary>The target format to measure for (default: the image's own).</summary>
    public string? Format { get; set; }
    public string[]? Options { get; set; }
    /// <summary>Fail when the required size exceeds this (qemu size syntax).</summary>
    public string? MaxRequired { get; set; }
    public string? MaxFullyAllocated { get; set; }

    /// <summary>Bytes the converted image needs with its data as it is.</summary>
    [Output] public long RequiredSize { get; private set; }
    /// <summary>Bytes the converted image needs fully allocated.</summary>
    [Output] public long FullyAllocatedSize { get; private set; }
    /// <summary>The format measured for.</summary>
    [Output] public string MeasuredFormat { get; private set; } = "";

    protected override string Kind => "measure";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Input, nameof(Input))) return false;
        request.Input = Input;
        request.InputFormat = InputFormat;
        request.Set("format", Format);
        request.Set("max-required", MaxRequired);
        request.Set("max-fully-allocated", MaxFullyAllocated);
        return AddOptions(request, Options);
    }

    protected override void Report(StepOutcome outcome)
    {
        RequiredSize = outcome.MeasuredRequired ?? 0;
        FullyAllocatedSize = outcome.MeasuredFullyAllocated ?? 0;
        MeasuredFormat = outcome.MeasuredFormat ?? "";
    }
}
