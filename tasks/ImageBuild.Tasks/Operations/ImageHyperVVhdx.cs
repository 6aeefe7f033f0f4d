using Microsoft.Build.Framework;

namespace ImageBuild.Tasks;

/// <summary>
/// The image as a VHDX with Hyper-V's recommended settings (recipe kind hyperv-vhdx): 1 MiB blocks (Microsoft's advice
/// for Linux guests), 512/4096 logical/physical sectors, dynamic; each can be changed. The defaults and their sources
/// live in the recipe layer (ImageBuild.Recipes.Platforms.HyperVVhdx); empty properties keep them.
/// </summary>
public sealed class ImageHyperVVhdx : ImageOperationTask
{
    [Required] public string Input { get; set; } = "";
    /// <summary>The VHDX to write (conventionally <c>NAME.vhdx</c>).</summary>
    [Required] public string Output { get; set; } = "";
    public string? InputFormat { get; set; }
    /// <summary>dynamic (default) or fixed.</summary>
    public string? Subformat { get; set; }
    /// <summary>Block size with qemu's suffixes, a power of two from 1M to 256M (default 1M).</summary>
    public string? BlockSize { get; set; }
    /// <summary>512 (default) or 4096.</summary>
    public string? LogicalSectorSize { get; set; }
    /// <summary>512 or 4096 (default).</summary>
    public string? PhysicalSectorSize { get; set; }
    /// <summary>Further vhdx create options as NAME=VALUE (log_size, block_state_zero).</summary>
    public string[]? Options { get; set; }

    protected override string Kind => "hyperv-vhdx";

    protected override bool Describe(RequestBuilder request)
    {
        if (!Required(Input, nameof(Input)) || !Required(Output, nameof(Output))) return false;
        request.Input = Input;
        request.InputFormat = InputFormat;
        request.Output = Output;
        request.Set("subformat", Subformat);
        request.Set("block-size", BlockSize);
        request.Set("logical-sector-size", LogicalSectorSize);
        request.Set("physical-sector-size", PhysicalSectorSize);
        return AddOptions(request, Options);
    }
}
