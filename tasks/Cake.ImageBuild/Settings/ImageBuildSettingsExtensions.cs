using Cake.Core.IO;

namespace Cake.ImageBuild;

/// <summary>Fluent setters for the ImageBuild settings classes, Cake style: <c>new ImageBuildConvertSettings().WithFormat("qcow2").WithCompression(ImageBuildCompression.Zstd)</c>.</summary>
public static class ImageBuildSettingsExtensions
{
    /// <summary>Sets a recipe variable.</summary>
    public static ImageBuildRecipeSettings WithVariable(this ImageBuildRecipeSettings settings, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Variables[name] = value;
        return settings;
    }

    /// <summary>A secret for the recipe's options, read from environment variable <paramref name="variable"/> (never the value itself).</summary>
    public static ImageBuildRecipeSettings WithSecretFromEnvironment(this ImageBuildRecipeSettings settings, string id, string variable)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Secrets.Add(new ImageBuildSecret(id, variable, null));
        return settings;
    }

    /// <summary>A secret for the recipe's options, read from <paramref name="file"/> (relative to the working directory).</summary>
    public static ImageBuildRecipeSettings WithSecretFromFile(this ImageBuildRecipeSettings settings, string id, FilePath file)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Secrets.Add(new ImageBuildSecret(id, null, file));
        return settings;
    }

    /// <summary>A secret for the operation's options, read from environment variable <paramref name="variable"/>.</summary>
    public static T WithSecretFromEnvironment<T>(this T settings, string id, string variable) where T : ImageBuildOperationSettings
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Secrets.Add(new ImageBuildSecret(id, variable, null));
        return settings;
    }

    /// <summary>A secret for the operation's options, read from <paramref name="file"/> (relative to the working directory).</summary>
    public static T WithSecretFromFile<T>(this T settings, string id, FilePath file) where T : ImageBuildOperationSettings
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Secrets.Add(new ImageBuildSecret(id, null, file));
        return settings;
    }

    /// <summary>Sets the number of steps run at once.</summary>
    public static ImageBuildRecipeSettings WithJobs(this ImageBuildRecipeSettings settings, int jobs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Jobs = jobs;
        return settings;
    }

    /// <summary>Sets the recipe's output directory.</summary>
    public static ImageBuildRecipeSettings WithOutputDirectory(this ImageBuildRecipeSettings settings, DirectoryPath directory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.OutputDirectory = directory;
        return settings;
    }

    /// <summary>Logs why each step ran or was skipped at Normal verbosity.</summary>
    public static ImageBuildRecipeSettings WithExplain(this ImageBuildRecipeSettings settings, bool explain = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Explain = explain;
        return settings;
    }

    /// <summary>Logs why the operation ran or was skipped at Normal verbosity.</summary>
    public static T WithExplain<T>(this T settings, bool explain = true) where T : ImageBuildOperationSettings
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Explain = explain;
        return settings;
    }

    /// <summary>Treats the recipe's existing images as untrusted (<c>--untrusted</c>).</summary>
    public static ImageBuildRecipeSettings WithUntrustedImages(this ImageBuildRecipeSettings settings, bool untrusted = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.UntrustedImages = untrusted;
        return settings;
    }

    /// <summary>Reads and writes the remote step cache <paramref name="reference"/> (oci://HOST[:PORT]/REPO, <c>--cache</c>).</summary>
    public static ImageBuildRecipeSettings WithCache(this ImageBuildRecipeSettings settings, string reference)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Cache = reference;
        return settings;
    }

    /// <summary>Looks steps up in <paramref name="reference"/> (<c>--cache-from</c>).</summary>
    public static ImageBuildRecipeSettings WithCacheFrom(this ImageBuildRecipeSettings settings, string reference)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.CacheFrom = reference;
        return settings;
    }

    /// <summary>Pushes built steps to <paramref name="reference"/> (<c>--cache-to</c>).</summary>
    public static ImageBuildRecipeSettings WithCacheTo(this ImageBuildRecipeSettings settings, string reference)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.CacheTo = reference;
        return settings;
    }

    /// <summary>Fails the recipe when the registry fails instead of building locally (<c>--cache-required</c>).</summary>
    public static ImageBuildRecipeSettings WithCacheRequired(this ImageBuildRecipeSettings settings, bool required = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.CacheRequired = required;
        return settings;
    }

    /// <summary>Talks plain HTTP to a loopback registry (<c>--plain-http</c>).</summary>
    public static ImageBuildRecipeSettings WithRegistryPlainHttp(this ImageBuildRecipeSettings settings, bool plainHttp = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.RegistryPlainHttp = plainHttp;
        return settings;
    }

    /// <summary>Trusts the certificate authorities of PEM file <paramref name="file"/> besides the system's (<c>--ca-file</c>).</summary>
    public static ImageBuildRecipeSettings WithRegistryCaFile(this ImageBuildRecipeSettings settings, FilePath file)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.RegistryCaFile = file;
        return settings;
    }

    /// <summary>Reads registry credentials from <paramref name="file"/> first (<c>--registry-config</c>).</summary>
    public static ImageBuildRecipeSettings WithRegistryConfig(this ImageBuildRecipeSettings settings, FilePath file)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.RegistryConfig = file;
        return settings;
    }

    /// <summary>Treats the input images as untrusted (<c>--untrusted</c>).</summary>
    public static T WithUntrustedImages<T>(this T settings, bool untrusted = true) where T : ImageBuildOperationSettings
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.UntrustedImages = untrusted;
        return settings;
    }

    /// <summary>Sets the input image's format instead of probing it.</summary>
    public static T WithInputFormat<T>(this T settings, string format) where T : ImageBuildOperationSettings
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.InputFormat = format;
        return settings;
    }

    /// <summary>Sets where the operation's skip record is kept.</summary>
    public static T WithStateDirectory<T>(this T settings, DirectoryPath directory) where T : ImageBuildOperationSettings
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.StateDirectory = directory;
        return settings;
    }

    /// <summary>Sets the format to create.</summary>
    public static ImageBuildCreateSettings WithFormat(this ImageBuildCreateSettings settings, string format)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Format = format;
        return settings;
    }

    /// <summary>Adds a creation option (<c>-o NAME=VALUE</c>).</summary>
    public static ImageBuildCreateSettings WithOption(this ImageBuildCreateSettings settings, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Options[name] = value;
        return settings;
    }

    /// <summary>Sets the output format.</summary>
    public static ImageBuildConvertSettings WithFormat(this ImageBuildConvertSettings settings, string format)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Format = format;
        return settings;
    }

    /// <summary>Adds an output creation option (<c>-o NAME=VALUE</c>).</summary>
    public static ImageBuildConvertSettings WithOption(this ImageBuildConvertSettings settings, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Options[name] = value;
        return settings;
    }

    /// <summary>Compresses the output (qcow2 only).</summary>
    public static ImageBuildConvertSettings WithCompression(this ImageBuildConvertSettings settings, ImageBuildCompression compression)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Compression = compression;
        return settings;
    }

    /// <summary>Sets the new backing image (and optionally its format).</summary>
    public static ImageBuildRebaseSettings WithBacking(this ImageBuildRebaseSettings settings, FilePath backing, string? format = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Backing = backing;
        settings.BackingFormat = format;
        return settings;
    }

    /// <summary>Only rewrites the backing file name (<c>-u</c>).</summary>
    public static ImageBuildRebaseSettings WithUnsafe(this ImageBuildRebaseSettings settings, bool @unsafe = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Unsafe = @unsafe;
        return settings;
    }

    /// <summary>Allows the image to shrink.</summary>
    public static ImageBuildResizeSettings WithShrink(this ImageBuildResizeSettings settings, bool shrink = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Shrink = shrink;
        return settings;
    }

    /// <summary>Sets the preallocation of the new area.</summary>
    public static ImageBuildResizeSettings WithPreallocation(this ImageBuildResizeSettings settings, string preallocation)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Preallocation = preallocation;
        return settings;
    }

    /// <summary>Sets the format to measure for.</summary>
    public static ImageBuildMeasureSettings WithFormat(this ImageBuildMeasureSettings settings, string format)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Format = format;
        return settings;
    }

    /// <summary>Fails the measure when the required size exceeds <paramref name="size"/>.</summary>
    public static ImageBuildMeasureSettings WithMaxRequired(this ImageBuildMeasureSettings settings, string size)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.MaxRequired = size;
        return settings;
    }

    /// <summary>Fails the measure when the fully-allocated size exceeds <paramref name="size"/>.</summary>
    public static ImageBuildMeasureSettings WithMaxFullyAllocated(this ImageBuildMeasureSettings settings, string size)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.MaxFullyAllocated = size;
        return settings;
    }

    /// <summary>Sets whether leaked clusters are accepted.</summary>
    public static ImageBuildCheckSettings WithAllowLeaks(this ImageBuildCheckSettings settings, bool allowLeaks)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.AllowLeaks = allowLeaks;
        return settings;
    }

    /// <summary>Compares in strict mode (<c>-s</c>).</summary>
    public static ImageBuildCompareSettings WithStrict(this ImageBuildCompareSettings settings, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Strict = strict;
        return settings;
    }

    /// <summary>Also describes the backing chain.</summary>
    public static ImageBuildInfoSettings WithBackingChain(this ImageBuildInfoSettings settings, bool backingChain = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.BackingChain = backingChain;
        return settings;
    }

    /// <summary>Sets the VHDX subformat: <c>dynamic</c> or <c>fixed</c>.</summary>
    public static ImageBuildHyperVVhdxSettings WithSubformat(this ImageBuildHyperVVhdxSettings settings, string subformat)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Subformat = subformat;
        return settings;
    }

    /// <summary>Sets the VHDX block size (qemu's suffixes: <c>1M</c>, <c>32M</c>).</summary>
    public static ImageBuildHyperVVhdxSettings WithBlockSize(this ImageBuildHyperVVhdxSettings settings, string blockSize)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.BlockSize = blockSize;
        return settings;
    }

    /// <summary>Sets the logical sector size the guest sees (512 or 4096).</summary>
    public static ImageBuildHyperVVhdxSettings WithLogicalSectorSize(this ImageBuildHyperVVhdxSettings settings, int bytes)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.LogicalSectorSize = bytes;
        return settings;
    }

    /// <summary>Sets the physical sector size the guest sees (512 or 4096).</summary>
    public static ImageBuildHyperVVhdxSettings WithPhysicalSectorSize(this ImageBuildHyperVVhdxSettings settings, int bytes)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.PhysicalSectorSize = bytes;
        return settings;
    }

    /// <summary>Adds a further vhdx create option (<c>-o NAME=VALUE</c>).</summary>
    public static ImageBuildHyperVVhdxSettings WithOption(this ImageBuildHyperVVhdxSettings settings, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Options[name] = value;
        return settings;
    }
}
