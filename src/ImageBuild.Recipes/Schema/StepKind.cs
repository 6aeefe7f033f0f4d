namespace ImageBuild.Recipes.Schema;

/// <summary>
/// A kind of step: its name, its parameters, whether it produces an image, and the version of its semantics in
/// this engine. Bumping <see cref="Version"/> changes every cache key of this kind, so steps of it rerun.
/// </summary>
public sealed record StepKind(string Name, int Version, string Description, IReadOnlyList<ParamSpec> Params, bool ProducesImage)
{
    /// <summary>
    /// An image step whose output is an existing file outside the output directory (the <c>image</c> kind): it has
    /// no <c>output</c> parameter, nothing is written, and its "output hash" covers the file and its backing chain.
    /// </summary>
    public bool External { get; init; }

    /// <summary>Environment variables whose values change what the step writes: part of its key.</summary>
    public IReadOnlyList<string> Environment { get; init; } = [];

    /// <summary>
    /// The format of the output when the kind fixes it (a platform's image: <c>azure-vhd</c> writes vpc), so that the
    /// output's name, the validation of the format and what reads the output know it before anything runs.
    /// </summary>
    public string? OutputFormat { get; init; }

    /// <summary>
    /// The kind writes a file that is not a disk image (an archive, an OVA, a checksum list): an <i>artifact</i>. The
    /// runner keys, hashes, places, prunes, caches and reports it as it does an image, but never opens it as one.
    /// </summary>
    public bool ProducesArtifact { get; init; }

    /// <summary>An artifact's file name when the step does not give <c>output</c> (from the step and the shapes of the steps before it).</summary>
    public Func<Model.RecipeStep, IReadOnlyDictionary<string, Model.StepShape>, string>? DefaultOutputName { get; init; }

    /// <summary>Whether the step writes an output file of its own (an image or an artifact).</summary>
    public bool ProducesOutput => (ProducesImage && !External) || ProducesArtifact;

    /// <summary>Step-reference parameters that also take an artifact (archive's <c>from</c>, checksums' <c>outputs</c>); the others take images only.</summary>
    public IReadOnlyList<string> AcceptsArtifacts { get; init; } = [];

    public ParamSpec? Find(string name) => Params.FirstOrDefault(p => p.Name == name);
}
