namespace ImageBuild.Recipes.Schema;

/// <summary>How a parameter's YAML value is read.</summary>
public enum ParamType
{
    /// <summary>Free text.</summary>
    Text,
    /// <summary>A byte count with qemu's suffixes (k, M, G, T, P, E), normalised to bytes.</summary>
    Size,
    /// <summary>A size, optionally with a leading + or - (resize).</summary>
    SizeDelta,
    /// <summary>An integer within [Min, Max].</summary>
    Integer,
    /// <summary>true/false.</summary>
    Bool,
    /// <summary>One of <see cref="ParamSpec.Values"/>.</summary>
    Enum,
    /// <summary>An image format name; which formats the engine can do is checked against the engine.</summary>
    Format,
    /// <summary>The id of an earlier-or-later step whose image output is an input here.</summary>
    StepRef,
    /// <summary>A list of step ids that must succeed first (ordering only, no data).</summary>
    StepRefList,
    /// <summary>A file in the repository, relative to the recipe; its content is an input.</summary>
    RepoFile,
    /// <summary>A plain file name (no directory) inside the output directory.</summary>
    FileName,
    /// <summary>A map of format create options (name: value), as qemu-img's -o.</summary>
    Options,
    /// <summary>A folder in the repository, relative to the recipe: a directory tree whose content is an input.</summary>
    RepoFolder,
    /// <summary>A list of texts (glob patterns); a single value is a list of one.</summary>
    TextList,
    /// <summary>A mapping whose keys are <see cref="ParamSpec.Fields"/> (a partition's filesystem).</summary>
    Map,
    /// <summary>A list of mappings whose keys are <see cref="ParamSpec.Fields"/> (a partition table's partitions).</summary>
    MapList,
}

/// <summary>One parameter a step kind accepts.</summary>
public sealed record ParamSpec(string Name, ParamType Type, string Description, bool Required = false)
{
    public IReadOnlyList<string> Values { get; init; } = [];
    public long Min { get; init; } = long.MinValue;
    public long Max { get; init; } = long.MaxValue;
    /// <summary>Default shown in the schema and used when absent (as canonical text); null when none.</summary>
    public string? Default { get; init; }
    /// <summary>The keys of a <see cref="ParamType.Map"/> or of each item of a <see cref="ParamType.MapList"/>.</summary>
    public IReadOnlyList<ParamSpec> Fields { get; init; } = [];
}
