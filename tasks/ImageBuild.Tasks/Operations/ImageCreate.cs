using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>A blank image, as `qemu-img create -f FORMAT [-o OPTIONS] OUTPUT SIZE` (recipe kind create).</summary>
public sealed class ImageCreate : ImageOperationTask
{
    [Required] public string Output { get; set; } = "";
    [Required] public string Size { get; set; } = "";
    /// <summary>The format; empty: the one the output's extension names (<c>base.qcow2</c>: qcow2), else raw. A format the extension contradicts is refused.</summary>
    public string? Format { get; set; }
    /// <summary>Create options, NAME=VALUE each (qemu-img create -o).</summary>
    public string[]? Options { get; set; }

    protected override string Kind => "create";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Output, nameof(Output)) || !Required(Size, nameof(Size))) return false;
        request.Output = Output;
        request.Set("size", Size);
        if (!NewImageFormat(Output, Format, out string? format)) return false;
        request.Set("format", format);
        return AddOptions(request, Options);
    }
}
