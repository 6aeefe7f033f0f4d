using ImageBuild.Recipes.Events;

namespace ImageBuild.Recipes.Hosting;

/// <summary>
/// One image operation (what a recipe step does) on existing files, for hosts that prefer single calls to recipes.
/// It gets the recipe steps' content-hash skip: asked again with unchanged inputs and parameters, it does nothing.
/// </summary>
public sealed record OperationRequest
{
    /// <summary>A recipe step kind: create, overlay, write, apply, commit, rebase, resize, convert, compress, snapshot, check, compare, measure, azure-vhd, hyperv-vhdx.</summary>
    public required string Kind { get; init; }

    /// <summary>The image the operation reads (a step's <c>from</c>); absolute or relative to <see cref="BaseDirectory"/>.</summary>
    public string? Input { get; init; }

    /// <summary>Format of <see cref="Input"/>; null: probed.</summary>
    public string? InputFormat { get; init; }

    /// <summary>The second image: compare's other image, apply's diff image, rebase's new backing file (null: flatten).</summary>
    public string? Other { get; init; }

    public string? OtherFormat { get; init; }

    /// <summary>The image an image-producing operation writes; never the input (operations do not change their inputs).</summary>
    public string? Output { get; init; }

    /// <summary>Step parameters by their recipe names (recipes/README.md): size, format, type, shrink, unsafe, name, strict, max-required, ...</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Format options, as qemu-img -o NAME=VALUE; one taking a secret (key-secret, encrypt.key-secret) names one of <see cref="Secrets"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Options { get; init; } = [];

    /// <summary>The secrets the options name, each from an environment variable or a file (never a value).</summary>
    public IReadOnlyList<Model.RecipeSecret> Secrets { get; init; } = [];


    /// <summary>
    /// Where an operation without output image (check, compare, measure) keeps its record (in .imagebuild/); null:
    /// the input's directory. An image-producing operation keeps its record beside its output.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>What relative paths are relative to.</summary>
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;

    public IReadOnlyList<IRecipeEventSink> Sinks { get; init; } = [];

    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// The input images are untrusted: they may name (as backing or data file) only regular files inside their own
    /// directory; anything else fails the operation naming the image and the file. Beyond qemu-img, which follows
    /// whatever an image names.
    /// </summary>
    public bool UntrustedImages { get; init; }
}
