using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>`qemu-img resize [--shrink] [--preallocation=MODE] IMAGE SIZE` on a copy (recipe kind resize).</summary>
public sealed class ImageResize : ImageOperationTask
{
    [Required] public string Input { get; set; } = "";
    [Required] public string Output { get; set; } = "";
    /// <summary>SIZE, +SIZE or -SIZE, with qemu's suffixes.</summary>
    [Required] public string Size { get; set; } = "";
    public string? InputFormat { get; set; }
    public bool Shrink { get; set; }
    /// <summary>off (default), metadata, falloc, full.</summary>
    public string? Preallocation { get; set; }

    protected override string Kind => "resize";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Input, nameof(Input)) || !Required(Output, nameof(Output)) || !Required(Size, nameof(Size))) return false;
        request.Input = Input;
        request.InputFormat = InputFormat;
        request.Output = Output;
        request.Set("size", Size);
        request.Set("shrink", Shrink);
        request.Set("preallocation", Preallocation);
        return true;
    }
}
