using Cake.Core.IO;

namespace Cake.ImageBuild;

/// <summary>
/// What every single-operation alias shares. An operation is skipped, like a recipe step, when its parameters and
/// the content of its inputs are unchanged and its output is still the one it wrote; the record of that lives in
/// <see cref="StateDirectory"/>/.imagebuild/.
/// </summary>
public abstract class ImageBuildOperationSettings
{
    /// <summary>Format of the input image; null: probed, as qemu-img does without <c>-f</c>.</summary>
    public string? InputFormat { get; set; }

    /// <summary>Secrets the options name (<c>key-secret</c>, <c>encrypt.key-secret</c>): <c>WithSecretFromEnvironment</c>, <c>WithSecretFromFile</c>.</summary>
    public IList<ImageBuildSecret> Secrets { get; } = new List<ImageBuildSecret>();

    /// <summary>Where the skip record is kept; null: the output's directory (the input's for operations without output).</summary>
    public DirectoryPath? StateDirectory { get; set; }

    /// <summary>Log why the operation ran or was skipped at Normal verbosity; otherwise the reason is logged at Verbose.</summary>
    public bool Explain { get; set; }

    /// <summary>
    /// The input images are untrusted (<c>--untrusted</c>): they may name as backing or data file only regular files
    /// inside their own directory.
    /// </summary>
    public bool UntrustedImages { get; set; }
}
