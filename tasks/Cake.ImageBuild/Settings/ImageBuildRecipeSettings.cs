using Cake.Core.IO;

namespace Cake.ImageBuild;

/// <summary>Settings for <see cref="ImageBuildAliases.ImageBuildRecipe(Cake.Core.ICakeContext, FilePath, ImageBuildRecipeSettings)"/> (as <c>imagebuild run</c>).</summary>
public class ImageBuildRecipeSettings
{
    /// <summary>Recipe variables, overriding the recipe's defaults (<c>--set NAME=VALUE</c>).</summary>
    public IDictionary<string, string> Variables { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Secrets the recipe's options name, replacing the recipe's of the same id (<c>WithSecretFromEnvironment</c>, <c>WithSecretFromFile</c>).</summary>
    public IList<ImageBuildSecret> Secrets { get; } = new List<ImageBuildSecret>();

    /// <summary>At most this many steps at once (<c>--jobs</c>); null: the processor count.</summary>
    public int? Jobs { get; set; }

    /// <summary>Output directory (<c>--output-dir</c>); null: the recipe's <c>output-dir</c>, else <c>out/NAME</c> beside the recipe.</summary>
    public DirectoryPath? OutputDirectory { get; set; }

    /// <summary>Log why each step ran or was skipped at Normal verbosity (<c>--explain</c>); otherwise reasons are logged at Verbose.</summary>
    public bool Explain { get; set; }

    /// <summary>
    /// Treat the recipe's existing images as untrusted (<c>--untrusted</c>, the recipe's <c>untrusted-images: true</c>):
    /// they may name as backing or data file only regular files inside their own directory.
    /// </summary>
    public bool UntrustedImages { get; set; }

    /// <summary>
    /// A remote step cache on an OCI registry, oci://HOST[:PORT]/REPO, read and written (<c>--cache</c>): a step whose
    /// key is there is pulled instead of built, built steps are pushed. Null: the recipe's own <c>cache:</c>, if any.
    /// </summary>
    public string? Cache { get; set; }

    /// <summary>A registry steps are only looked up in (<c>--cache-from</c>); wins over <see cref="Cache"/> for lookups.</summary>
    public string? CacheFrom { get; set; }

    /// <summary>A registry built steps are only pushed to (<c>--cache-to</c>); wins over <see cref="Cache"/> for pushes.</summary>
    public string? CacheTo { get; set; }

    /// <summary>
    /// A registry that cannot be reached, refuses a push or serves something untrusted fails the recipe
    /// (<c>--cache-required</c>); otherwise that is a warning and the step is built locally.
    /// </summary>
    public bool CacheRequired { get; set; }

    /// <summary>Plain HTTP to the registry (<c>--plain-http</c>): loopback registries only.</summary>
    public bool RegistryPlainHttp { get; set; }

    /// <summary>A PEM file of certificate authorities trusted besides the system's (<c>--ca-file</c>).</summary>
    public FilePath? RegistryCaFile { get; set; }

    /// <summary>
    /// A credentials file in Docker's config.json or Podman's auth.json form (<c>--registry-config</c>), read before the
    /// usual places. Credentials are never logged.
    /// </summary>
    public FilePath? RegistryConfig { get; set; }
}
