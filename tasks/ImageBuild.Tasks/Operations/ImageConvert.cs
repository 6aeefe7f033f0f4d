using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>
/// `qemu-img convert [-f IN] [-O FORMAT] [-c] [-o OPTIONS] INPUT OUTPUT` (recipe kinds convert, and compress when
/// <see cref="Compress"/> or <see cref="CompressionType"/> is given: a compressed qcow2).
/// </summary>
public sealed class ImageConvert : ImageOperationTask
{
    [Required] public string Input { get; set; } = "";
    [Required] public string Output { get; set; } = "";
    public string? InputFormat { get; set; }
    /// <summary>
    /// The output format; empty: the one the output's extension names (<c>disk.qcow2</c>: qcow2), else raw as qemu-img
    /// (qcow2 when compressing). A format the extension contradicts is refused.
    /// </summary>
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
        if (!NewImageFormat(Output, OutputFormat, out string? format)) return false;
        if (Compress || !string.IsNullOrEmpty(CompressionType))
        {
            // the recipe host refuses a format that cannot store compressed data, naming it
            request.Kind = "compress";
            request.Set("format", format);
            request.Set("type", CompressionType);
        }
        else
            request.Set("format", format ?? "raw");
        return AddOptions(request, Options);
    }
}
