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
}
