namespace Cake.ImageBuild;

/// <summary>Settings for <c>ImageBuildAzureVhd</c>: Azure's rules leave nothing to choose but the input's format.</summary>
public class ImageBuildAzureVhdSettings : ImageBuildOperationSettings
{
}

/// <summary>Settings for <c>ImageBuildHyperVVhdx</c>; null keeps Hyper-V's recommended value.</summary>
public class ImageBuildHyperVVhdxSettings : ImageBuildOperationSettings
{
    /// <summary><c>dynamic</c> (default) or <c>fixed</c>.</summary>
    public string? Subformat { get; set; }

    /// <summary>Block size with qemu's suffixes, a power of two from 1M to 256M (default 1M).</summary>
    public string? BlockSize { get; set; }

    /// <summary>512 (default) or 4096.</summary>
    public int? LogicalSectorSize { get; set; }

    /// <summary>512 or 4096 (default).</summary>
    public int? PhysicalSectorSize { get; set; }

    /// <summary>Further vhdx create options (<c>log_size</c>, <c>block_state_zero</c>), in order.</summary>
    public IDictionary<string, string> Options { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
