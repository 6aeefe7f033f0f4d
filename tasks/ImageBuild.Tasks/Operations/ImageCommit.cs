using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>
/// `qemu-img commit` without touching the inputs (recipe kind commit): <see cref="Output"/> becomes a copy of the
/// overlay's backing image with the overlay's data committed into it.
/// </summary>
public sealed class ImageCommit : ImageOperationTask
{
    /// <summary>The overlay whose data is committed.</summary>
    [Required] public string Input { get; set; } = "";
    [Required] public string Output { get; set; } = "";
    public string? InputFormat { get; set; }

    protected override string Kind => "commit";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Input, nameof(Input)) || !Required(Output, nameof(Output))) return false;
        request.Input = Input;
        request.InputFormat = InputFormat;
        request.Output = Output;
        return true;
    }
}
