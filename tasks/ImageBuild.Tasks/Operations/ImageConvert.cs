using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>
/// `qemu-img convert [-f IN] -O FORMAT [-c] [-o OPTIONS] INPUT OUTPUT` (recipe kinds convert, and compress when
/// <see cref="Compress"/> or <see cref="CompressionType"/> is given: a compressed qcow2).
/// </summary>
public sealed class ImageConvert : ImageOperationTask
{
    [Required] public string Input { get; set; } = "";
    [Required] public string Output { get; set; } = "";
    public string? InputFormat { get; set; }
    /// <summary>The output format (raw, qcow2); required unless compressing (always qcow2).</summary>
    public string? OutputFormat { get; set; }
    /// <summary>Compress the qcow2 output (qemu-img convert -c).</summary>
    public bool Compress { get; set; }
    /// <summary>zlib (default) or zstd; implies <see cref="Compress"/>.</summary>
    public string? CompressionType { get; set; }
    public string[]? Options { get; set; }

    protected override string Kind => "convert";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Input, nameof(Input)) || !Required(Output, nameof(Output))) return false;
        request.Input = Input;
        request.InputFormat = InputFormat;
        request.Output = Output;
        if (Compress || !string.IsNullOrEmpty(CompressionType))
        {
            // the recipe host refuses a format that cannot store compressed data, naming it
            request.Kind = "compress";
            request.Set("format", string.IsNullOrEmpty(OutputFormat) ? null : OutputFormat);
            request.Set("type", CompressionType);
        }
        else
        {
            if (!Required(OutputFormat, nameof(OutputFormat))) return false;
            request.Set("format", OutputFormat);
        }
        return AddOptions(request, Options);
    }
}
