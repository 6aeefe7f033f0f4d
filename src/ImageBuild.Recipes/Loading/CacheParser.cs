using ImageBuild.Recipes.Cache.Remote;
using YamlDotNet.RepresentationModel;
using Mark = ImageBuild.Recipes.Model.Mark;

namespace ImageBuild.Recipes.Loading;

/// <summary>
/// Reads the top-level <c>cache:</c> section: a reference <c>oci://HOST[:PORT]/REPO</c> (looked up and pushed to),
/// or a mapping <c>{from:, to:, required:, plain-http:, ca-file:, auth-file:}</c>. Variables expand as elsewhere;
/// files are relative to the recipe. Every problem is reported at its line.
/// </summary>
internal static class CacheParser
{
    private static readonly string[] Keys = ["from", "to", "required", "plain-http", "ca-file", "auth-file"];

    public static StepCacheSettings? Parse(YamlNode node, string recipeDirectory, VariableExpander expander, Action<Mark, string> err)
    {
        if (node is YamlScalarNode)
        {
            string? both = Reference(node, "cache", expander, err);
            return both is null ? null : new StepCacheSettings { From = both, To = both };
        }
        if (node is not YamlMappingNode map)
        {
            err(RecipeLoader.At(node), "'cache' must be a reference (oci://HOST/REPO) or a mapping of from, to, required, plain-http, ca-file, auth-file");
            return null;
        }
        var settings = new StepCacheSettings();
        bool bad = false;
        foreach (var (k, v) in map.Children)
        {
            string key = (k as YamlScalarNode)?.Value ?? "";
            switch (key)
            {
                case "from" or "to":
                {
                    string? reference = Reference(v, key, expander, err);
                    if (reference is null) bad = true;
                    else settings = key == "from" ? settings with { From = reference } : settings with { To = reference };
                    break;
                }
                case "required" or "plain-http":
                {
                    bool? value = Switch(v, key, expander, err);
                    if (value is null) bad = true;
                    else settings = key == "required" ? settings with { Required = value.Value } : settings with { PlainHttp = value.Value };
                    break;
                }
                case "ca-file" or "auth-file":
                {
                    string? text = Text(v, key, expander, err);
                    if (text is null || text.Length == 0)
                    {
                        if (text is not null) err(RecipeLoader.At(v), $"'cache': '{key}' is empty");
                        bad = true;
                        break;
                    }
                    string full = Path.GetFullPath(Path.Combine(recipeDirectory, text));
                    settings = key == "ca-file" ? settings with { CaFile = full } : settings with { AuthFile = full };
                    break;
                }
                default:
                    err(RecipeLoader.At(k), $"'cache': unknown key '{key}' (expected one of: {string.Join(", ", Keys)})");
                    bad = true;
                    break;
            }
        }
        if (!bad && !settings.IsEnabled)
        {
            err(RecipeLoader.At(node), "'cache' names no store: give 'from' (look steps up), 'to' (push them) or both");
            return null;
        }
        return bad ? null : settings;
    }

    private static string? Text(YamlNode node, string key, VariableExpander expander, Action<Mark, string> err)
    {
        if (node is not YamlScalarNode { Value: var raw })
        {
            err(RecipeLoader.At(node), $"'cache': '{key}' must be a single value");
            return null;
        }
        string? text = expander.Expand(raw ?? "", out var e);
        if (text is null) err(RecipeLoader.At(node), $"'cache': {e}");
        return text;
    }

    private static string? Reference(YamlNode node, string key, VariableExpander expander, Action<Mark, string> err)
    {
        string? text = Text(node, key, expander, err);
        if (text is null) return null;
        if (StepCacheReference.Problem(text) is { } problem)
        {
            err(RecipeLoader.At(node), $"'{(key == "cache" ? "cache" : "cache: " + key)}': {problem}");
            return null;
        }
        return text;
    }

    private static bool? Switch(YamlNode node, string key, VariableExpander expander, Action<Mark, string> err)
    {
        switch (Text(node, key, expander, err))
        {
            case "true" or "yes" or "on": return true;
            case "false" or "no" or "off": return false;
            case null: return null;
            case var other:
                err(RecipeLoader.At(node), $"'cache': '{key}': '{other}' is not true or false");
                return null;
        }
    }
}
