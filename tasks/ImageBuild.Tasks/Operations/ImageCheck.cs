using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>`qemu-img check IMAGE` (recipe kind check): fails on corruption, and on leaks unless allowed.</summary>
public sealed class ImageCheck : ImageOperationTask
{
    [Required] public string Input { get; set; } = "";
    public string? InputFormat { get; set; }
    /// <summary>Leaked clusters are not an error (default true, as in recipes).</summary>
    public bool AllowLeaks { get; set; } = true;

    protected override string Kind => "check";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Input, nameof(Input))) return false;
        request.Input = Input;
        request.InputFormat = InputFormat;
        request.Set("allow-leaks", AllowLeaks);
        return true;
    }
}
