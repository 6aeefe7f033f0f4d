using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>
/// `qemu-img rebase [-u] -b BACKING` on a copy (recipe kind rebase): <see cref="Output"/> is <see cref="Input"/>
/// with the new backing file; no <see cref="Backing"/> flattens it.
/// </summary>
public sealed class ImageRebase : ImageOperationTask
{
    [Required] public string Input { get; set; } = "";
    [Required] public string Output { get; set; } = "";
    public string? InputFormat { get; set; }
    /// <summary>The new backing image; empty: flatten (no backing file).</summary>
    public string? Backing { get; set; }
    public string? BackingFormat { get; set; }
    /// <summary>Only rewrite the backing file name, keep the data as is (qemu-img rebase -u).</summary>
    public bool Unsafe { get; set; }

    protected override string Kind => "rebase";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Input, nameof(Input)) || !Required(Output, nameof(Output))) return false;
        request.Input = Input;
        request.InputFormat = InputFormat;
        request.Output = Output;
        request.Other = Backing;
        request.OtherFormat = BackingFormat;
        request.Set("unsafe", Unsafe);
        return true;
    }
}
