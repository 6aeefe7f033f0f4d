namespace ImageBuild.Recipes.Schema;

/// <summary>
/// The step kinds the loader accepts and the runner executes, with their parameters. recipes/recipe.schema.json
/// mirrors this table (a test keeps the two in agreement).
/// </summary>
public sealed class StepKinds
{
    /// <summary>Parameters every step has.</summary>
    public static readonly IReadOnlyList<ParamSpec> Common =
    [
        new("id", ParamType.Text, "Unique step id: letters, digits, '.', '_' and '-', starting with a letter or digit.", Required: true),
        new("kind", ParamType.Enum, "What the step does.", Required: true),
        new("description", ParamType.Text, "Free text for people; not part of the cache key."),
        new("after", ParamType.StepRefList, "Steps that must succeed before this one (ordering only, e.g. a measure gate)."),
    ];

    /// <summary>Parameter of every step that writes an output file (an image or an artifact).</summary>
    public static readonly ParamSpec Output =
        new("output", ParamType.FileName, "File name of the output in the output directory (default: ID.FORMAT for images; each artifact kind says its own).");

    internal static readonly ParamSpec From = new("from", ParamType.StepRef, "The step whose output image is the input.", Required: true);
    private static readonly ParamSpec Options = new("options", ParamType.Options, "Format create options, as qemu-img -o NAME=VALUE; an option taking a secret (key-secret, encrypt.key-secret) names a secret declared under secrets:.");

    private readonly Dictionary<string, StepKind> _kinds;

    public StepKinds(IEnumerable<StepKind> kinds)
    {
        _kinds = kinds.ToDictionary(k => k.Name, StringComparer.Ordinal);
        Ordered = kinds.ToList();
    }

    public IReadOnlyList<StepKind> Ordered { get; }

    public StepKind? Find(string name) => _kinds.GetValueOrDefault(name);

    /// <summary>A copy with one kind's semantic version replaced (what an engine upgrade of that step does).</summary>
    public StepKinds WithVersion(string kind, int version) =>
        new(Ordered.Select(k => k.Name == kind ? k with { Version = version } : k));

    /// <summary>Every parameter name the kind accepts, common ones included.</summary>
    public static IEnumerable<ParamSpec> AllParams(StepKind kind) =>
        Common.Concat(kind.ProducesOutput ? [Output] : []).Concat(kind.Params);

    public static readonly StepKinds Default = new(
    [
        new("image", 1, "An existing image file used where it is (never copied or changed): the start of a pipeline over a prebuilt image.",
        [
            new("file", ParamType.RepoFile, "The image file (relative to the recipe, or absolute). Its backing chain is part of its content hash.", Required: true),
            new("format", ParamType.Format, "Its format (default: probed, as qemu-img does)."),
            new("untrusted", ParamType.Bool, "true: the image may name as backing or data file only regular files inside its own directory (untrusted-images: true sets it for every image; it cannot be turned off per step)."),
        ], ProducesImage: true) { External = true },

        new("create", 1, "A blank image of any format the engine can create.",
        [
            new("format", ParamType.Format, "Image format.") { Default = "raw" },
            new("size", ParamType.Size, "Virtual size (qemu suffixes: k, M, G, T).", Required: true),
            Options,
        ], ProducesImage: true),

        new("overlay", 1, "A new layer whose backing file is an earlier step's image.",
        [
            From,
            new("format", ParamType.Format, "Format of the layer (default: the first format the engine writes with backing files, qcow2)."),
            Options,
        ], ProducesImage: true),

        new("write", 1, "A copy of an image with content written at a guest offset: a repository file's bytes, a byte pattern, or zeroes.",
        [
            From,
            new("offset", ParamType.Size, "Guest offset to write at.") { Default = "0" },
            new("file", ParamType.RepoFile, "Repository file whose bytes are written (relative to the recipe)."),
            new("pattern", ParamType.Integer, "Byte value written `length` times.") { Min = 0, Max = 255 },
            new("zeroes", ParamType.Bool, "Write `length` zero bytes (the range reads as zeroes afterwards)."),
            new("length", ParamType.Size, "Byte count for pattern and zeroes."),
        ], ProducesImage: true),

        new("apply", 1, "A copy of an image with the data a prebuilt overlay/diff image allocates itself copied onto it.",
        [
            From,
            new("image", ParamType.StepRef, "Step whose output is the diff image."),
            new("image-file", ParamType.RepoFile, "Repository file that is the diff image (relative to the recipe)."),
            new("image-format", ParamType.Format, "Format of the diff image (default: probed)."),
        ], ProducesImage: true),

        new("commit", 1, "The backing image of an overlay with the overlay's data committed into it (a copy; the inputs stay as they are).",
        [
            From,
        ], ProducesImage: true),

        new("rebase", 1, "A copy of an overlay with a new backing image (safe mode keeps what it reads), or flattened when backing is absent.",
        [
            From,
            new("backing", ParamType.StepRef, "Step whose output becomes the backing image; absent = no backing file (flatten)."),
            new("unsafe", ParamType.Bool, "Only rewrite the header (qemu-img rebase -u).") { Default = "false" },
        ], ProducesImage: true),

        new("resize", 1, "A copy of an image with a new virtual size.",
        [
            From,
            new("size", ParamType.SizeDelta, "New size, or +SIZE / -SIZE relative to the current one.", Required: true),
            new("shrink", ParamType.Bool, "Allow reducing the size.") { Default = "false" },
            new("preallocation", ParamType.Enum, "Preallocation of the grown area.") { Values = ["off", "metadata", "falloc", "full"], Default = "off" },
        ], ProducesImage: true),

        new("convert", 1, "The image converted to a format (and options), sparse as qemu-img convert leaves it.",
        [
            From,
            new("format", ParamType.Format, "Target format.", Required: true),
            Options,
        ], ProducesImage: true),

        new("compress", 1, "The image converted with compressed clusters (qemu-img convert -c).",
        [
            From,
            new("format", ParamType.Format, "Target format (default: the first format the engine writes compressed, qcow2)."),
            new("type", ParamType.Enum, "Compression type, for formats that have several (qcow2: zlib, the default, or zstd).") { Values = ["zlib", "zstd"] },
            Options,
        ], ProducesImage: true),

        new("snapshot", 1, "A copy of an image with an internal snapshot created (qemu-img snapshot -c; formats with internal snapshots).",
        [
            From,
            new("name", ParamType.Text, "Snapshot name.", Required: true),
            new("date", ParamType.Integer, "Creation date recorded in the snapshot, in seconds since 1970 (default: SOURCE_DATE_EPOCH, else 0, so outputs are reproducible).") { Min = 0, Max = uint.MaxValue },
        ], ProducesImage: true) { Environment = ["SOURCE_DATE_EPOCH"] },

        new("check", 1, "Checks an image's metadata (qemu-img check); fails on corruption, reports leaks.",
        [
            From,
            new("allow-leaks", ParamType.Bool, "Do not fail when only leaked clusters are found.") { Default = "true" },
        ], ProducesImage: false),

        new("compare", 1, "Compares two images' guest content (qemu-img compare); fails when they differ.",
        [
            From,
            new("image", ParamType.StepRef, "The step whose output image is compared with `from`'s.", Required: true),
            new("strict", ParamType.Bool, "Also fail when the sizes differ or a range is allocated in one image only (qemu-img compare -s).") { Default = "false" },
        ], ProducesImage: false),

        new("measure", 1, "Records the required and fully-allocated sizes of the image in a format; fails when a limit is exceeded.",
        [
            From,
            new("format", ParamType.Format, "Format to measure for (default: the image's own)."),
            Options,
            new("max-required", ParamType.Size, "Fail when the required size exceeds this."),
            new("max-fully-allocated", ParamType.Size, "Fail when the fully-allocated size exceeds this."),
        ], ProducesImage: false),

        // Images a platform takes. Each fixes its format and what the platform requires (Platforms/), and keeps
        // the settings the platform leaves open as parameters.
        new("azure-vhd", 1, "The image as Azure takes an uploaded disk: a fixed VHD (vpc, force_size) whose virtual size is the input's rounded up to whole MiB, at least 20 MiB, at most 2040 GiB; file = size + 512-byte footer.",
        [
            From,
        ], ProducesImage: true) { OutputFormat = Platforms.AzureVhd.Format },

        new("hyperv-vhdx", 1, "The image as a VHDX with Hyper-V's recommended settings (1 MiB blocks, as Microsoft recommends for Linux guests; 512/4096 logical/physical sectors; dynamic), each of which can be changed; virtual size rounded up to whole logical sectors.",
        [
            From,
            new("subformat", ParamType.Enum, "dynamic (grows as written) or fixed (all space allocated).") { Values = ["dynamic", "fixed"], Default = Platforms.HyperVVhdx.DefaultSubformat },
            new("block-size", ParamType.Size, "VHDX block size: a power of two from 1M to 256M (Microsoft recommends 1M for Linux guests).") { Default = "1048576" },
            new("logical-sector-size", ParamType.Integer, "Logical sector size the guest sees: 512 or 4096.") { Min = 512, Max = 4096, Default = "512" },
            new("physical-sector-size", ParamType.Integer, "Physical sector size the guest sees: 512 or 4096.") { Min = 512, Max = 4096, Default = "4096" },
            new("options", ParamType.Options, "Further vhdx create options (log_size, block_state_zero), as qemu-img -o NAME=VALUE."),
        ], ProducesImage: true) { OutputFormat = Platforms.HyperVVhdx.Format },

        .. ContentKinds.All,

        .. ArtifactKinds.All,
    ]);
}
