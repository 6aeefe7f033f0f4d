using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>
/// The image as Azure takes an uploaded disk (recipe kind azure-vhd): a fixed VHD whose virtual size is the input's
/// rounded up to whole MiB (at least 20 MiB, at most 2040 GiB), file = size + 512-byte footer. The rules live in the
/// recipe layer (ImageBuild.Recipes.Platforms.AzureVhd); this task only names the files.
/// </summary>
public sealed class ImageAzureVhd : ImageOperationTask
{
    [Required] public string Input { get; set; } = "";
    /// <summary>The VHD to write (conventionally <c>NAME.vhd</c>).</summary>
    [Required] public string Output { get; set; } = "";
    public string? InputFormat { get; set; }

    protected override string Kind => "azure-vhd";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Input, nameof(Input)) || !Required(Output, nameof(Output))) return false;
        request.Input = Input;
        request.InputFormat = InputFormat;
        request.Output = Output;
        return true;
    }
}
