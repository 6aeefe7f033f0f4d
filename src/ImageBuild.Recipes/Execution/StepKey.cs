using System.Text;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Execution;

/// <summary>
/// A step's cache key: hash(kind, the kind's engine version, normalised parameters (defaults filled in), output
/// name, content hashes of its inputs). Inputs are hashed by content, so a renamed-but-identical repository file
/// or an upstream step that rebuilt identical bytes does not cause a rerun.
/// </summary>
public sealed class StepKey
{
    private StepKey(string paramsHash, IReadOnlyDictionary<string, string> inputs, string key)
    {
        ParamsHash = paramsHash;
        Inputs = inputs;
        Key = key;
    }

    public string ParamsHash { get; }

    /// <summary>Input name ("from", "file", ...) → "name:hash" of what it was.</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; }

    public string Key { get; }

    public static StepKey Compute(RecipeStep step, StepKind kind, string? outputName, IReadOnlyDictionary<string, string> inputs)
    {
        var p = new StringBuilder();
        p.Append("kind=").Append(kind.Name).Append('\n');
        p.Append("output=").Append(outputName ?? "").Append('\n');
        foreach (var spec in kind.Params)
        {
            if (ByContent(spec)) continue; // hashed by content below
            string? value = step.Get(spec.Name) is { } v ? CanonicalOf(spec, v) : spec.Default;
            if (value is null) continue;
            p.Append(spec.Name).Append('=').Append(value.Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
        }
        string paramsHash = ContentHasher.HashText(p.ToString());

        var k = new StringBuilder("imagebuild-step-key/1\n");
        k.Append("version=").Append(kind.Version).Append('\n');
        k.Append("params=").Append(paramsHash).Append('\n');
        foreach (var (name, value) in inputs.OrderBy(i => i.Key, StringComparer.Ordinal))
            k.Append("input ").Append(name).Append('=').Append(value).Append('\n');
        return new StepKey(paramsHash, inputs, ContentHasher.HashText(k.ToString()));
    }

    /// <summary>Parameters that name an input (a step, a repository file or folder): in the key as the input's content hash, not as a name.</summary>
    private static bool ByContent(ParamSpec spec) =>
        spec.Type is ParamType.StepRef or ParamType.StepRefList or ParamType.RepoFile or ParamType.RepoFolder;

    /// <summary>A value's canonical text, without the fields of mappings that name inputs (those are hashed by content).</summary>
    private static string CanonicalOf(ParamSpec spec, ParamValue value) => value switch
    {
        MapValue map => "{" + string.Join(",", spec.Fields.Where(f => !ByContent(f) && map.Get(f.Name) is not null)
            .Select(f => f.Name + "=" + CanonicalOf(f, map.Get(f.Name)!))) + "}",
        MapListValue list => "[" + string.Join(",", list.Items.Select(i => CanonicalOf(spec, i))) + "]",
        _ => value.Canonical,
    };

    /// <summary>Why a recorded run does not match this key (null when it does).</summary>
    public string? Difference(StepRecord? record, StepKind kind)
    {
        if (record is null) return "no earlier run recorded in this output directory";
        if (record.Kind != kind.Name) return $"the step was a '{record.Kind}' step before";
        if (record.Version != kind.Version) return $"engine version of '{kind.Name}' steps changed ({record.Version} -> {kind.Version})";
        if (record.ParamsHash != ParamsHash) return "parameters changed";
        foreach (var (name, value) in Inputs)
        {
            if (!record.Inputs.TryGetValue(name, out var old)) return $"new input '{name}'";
            if (old != value) return $"input '{name}' changed ({old} -> {value})";
        }
        foreach (var name in record.Inputs.Keys)
            if (!Inputs.ContainsKey(name)) return $"input '{name}' removed";
        return record.Key == Key ? null : "step definition changed";
    }
}
