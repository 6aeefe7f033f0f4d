using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>A blank image, as `qemu-img create -f FORMAT [-o OPTIONS] OUTPUT SIZE` (recipe kind create).</summary>
public sealed class ImageCreate : ImageOperationTask
{
    [Required] public string Output { get; set; } = "";
    [Required] public string Size { get; set; } = "";
    /// <summary>raw (default) or qcow2.</summary>
    public string? Format { get; set; }
    /// <summary>Create options, NAME=VALUE each (qemu-img create -o).</summary>
    public string[]? Options { get; set; }

    protected override string Kind => "create";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Output, nameof(Output)) || !Required(Size, nameof(Size))) return false;
        request.Output = Output;
        request.Set("size", Size);
        request.Set("format", Format);
        return AddOptions(request, Options);
    }
}
