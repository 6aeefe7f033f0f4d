using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.IO;

namespace Cake.ImageBuild;

/// <summary>
/// Images a platform takes: thin aliases over the recipe kinds <c>azure-vhd</c> and <c>hyperv-vhdx</c>, whose rules
/// live once in the recipe layer (<c>ImageBuild.Recipes.Platforms</c>).
/// </summary>
public static partial class ImageBuildAliases
{
    /// <summary>
    /// Writes the image as Azure takes an uploaded disk: a fixed VHD whose virtual size is the input's rounded up to
    /// whole MiB (at least 20 MiB, at most 2040 GiB), file = size + 512-byte footer.
    /// </summary>
    /// <example><code>ImageBuildAzureVhd("out/disk.qcow2", "out/disk.vhd");</code></example>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to read (any format the engine reads).</param>
    /// <param name="output">The VHD to write.</param>
    /// <returns>The operation's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildAzureVhd(this ICakeContext context, FilePath input, FilePath output) =>
        ImageBuildAzureVhd(context, input, output, new ImageBuildAzureVhdSettings());

    /// <summary>Writes the image as Azure takes an uploaded disk (a fixed VHD of whole MiB).</summary>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to read.</param>
    /// <param name="output">The VHD to write.</param>
    /// <param name="settings">The settings.</param>
    /// <returns>The operation's outcome.</returns>
    /// <exception cref="CakeException">The input is larger than a VHD can hold, or the conversion failed.</exception>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildAzureVhd(this ICakeContext context, FilePath input, FilePath output, ImageBuildAzureVhdSettings settings)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(settings);
        return RunOperation(context, "azure-vhd", $"ImageBuildAzureVhd '{input.FullPath}' -> '{output.FullPath}'", settings, input, output, parameters: []);
    }

    /// <summary>
    /// Writes the image as a VHDX with Hyper-V's recommended settings: 1 MiB blocks (Microsoft's advice for Linux
    /// guests), 512/4096 logical/physical sectors, dynamic.
    /// </summary>
    /// <example><code>ImageBuildHyperVVhdx("out/disk.qcow2", "out/disk.vhdx");</code></example>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to read (any format the engine reads).</param>
    /// <param name="output">The VHDX to write.</param>
    /// <returns>The operation's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildHyperVVhdx(this ICakeContext context, FilePath input, FilePath output) =>
        ImageBuildHyperVVhdx(context, input, output, new ImageBuildHyperVVhdxSettings());

    /// <summary>Writes the image as a VHDX for Hyper-V, with the settings given (null ones keep the recommended value).</summary>
    /// <example><code>ImageBuildHyperVVhdx("out/disk.qcow2", "out/disk.vhdx", new ImageBuildHyperVVhdxSettings().WithBlockSize("2M").WithLogicalSectorSize(4096));</code></example>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to read.</param>
    /// <param name="output">The VHDX to write.</param>
    /// <param name="settings">The settings.</param>
    /// <returns>The operation's outcome.</returns>
    /// <exception cref="CakeException">A setting the VHDX format does not allow, or the conversion failed.</exception>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildHyperVVhdx(this ICakeContext context, FilePath input, FilePath output, ImageBuildHyperVVhdxSettings settings)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(settings);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (settings.Subformat is { } subformat) parameters["subformat"] = subformat;
        if (settings.BlockSize is { } blockSize) parameters["block-size"] = blockSize;
        if (settings.LogicalSectorSize is { } logical) parameters["logical-sector-size"] = logical.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (settings.PhysicalSectorSize is { } physical) parameters["physical-sector-size"] = physical.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return RunOperation(context, "hyperv-vhdx", $"ImageBuildHyperVVhdx '{input.FullPath}' -> '{output.FullPath}'", settings, input, output,
            parameters: parameters, options: settings.Options);
    }
}
