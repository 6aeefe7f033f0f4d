using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>`qemu-img compare [-s] A B`: fails the build when the images' guest contents differ.</summary>
public sealed class ImageCompare : ImageOperationTask
{
    [Required] public string Input { get; set; } = "";
    [Required] public string Other { get; set; } = "";
    public string? InputFormat { get; set; }
    public string? OtherFormat { get; set; }
    /// <summary>Strict mode (qemu-img compare -s): differing sizes or allocation also count as different.</summary>
    public bool Strict { get; set; }

    protected override string Kind => "compare";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Input, nameof(Input)) || !Required(Other, nameof(Other))) return false;
        request.Input = Input;
        request.InputFormat = InputFormat;
        request.Other = Other;
        request.OtherFormat = OtherFormat;
        request.Set("strict", Strict);
        return true;
    }
}
