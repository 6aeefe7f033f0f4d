using ImageBuild.Recipes.Model;
using YamlDotNet.RepresentationModel;
using Mark = ImageBuild.Recipes.Model.Mark;

namespace ImageBuild.Recipes.Loading;

/// <summary>
/// Reads the top-level <c>secrets:</c> mapping: <c>ID: {env: VARIABLE}</c> or <c>ID: {file: PATH}</c>. A value
/// written in the recipe itself is refused at its line; no message repeats what was written there, since it may be
/// the passphrase.
/// </summary>
internal static class SecretsParser
{
    private const string Forms = "give {env: VARIABLE} or {file: PATH}";

    public static List<RecipeSecret> Parse(YamlNode node, string recipeDirectory, VariableExpander expander, Action<Mark, string> err)
    {
        var secrets = new List<RecipeSecret>();
        if (node is not YamlMappingNode map)
        {
            err(RecipeLoader.At(node), $"'secrets' must be a mapping of id: {{env: VARIABLE}} or {{file: PATH}}");
            return secrets;
        }
        var seen = new Dictionary<string, Mark>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            string? id = (keyNode as YamlScalarNode)?.Value;
            if (id is null || !RecipeLoader.IsId(id))
            {
                err(RecipeLoader.At(keyNode), "secret ids are letters, digits, '.', '_' and '-', starting with a letter or digit");
                continue;
            }
            if (seen.TryGetValue(id, out var first))
            {
                err(RecipeLoader.At(keyNode), $"duplicate secret id '{id}' (first defined at line {first.Line})");
                continue;
            }
            seen[id] = RecipeLoader.At(keyNode);
            if (Source(id, valueNode, recipeDirectory, expander, err) is { } secret)
                secrets.Add(secret);
        }
        return secrets;
    }

    private static RecipeSecret? Source(string id, YamlNode node, string directory, VariableExpander expander, Action<Mark, string> err)
    {
        string head = $"secret '{id}'";
        if (node is not YamlMappingNode map)
        {
            // A scalar (or a list) is a value written in the recipe: never accepted, never echoed.
            err(RecipeLoader.At(node), $"{head}: a secret's value is never written in the recipe; {Forms}");
            return null;
        }
        RecipeSecret? found = null;
        bool bad = false;
        foreach (var (k, v) in map.Children)
        {
            string key = (k as YamlScalarNode)?.Value ?? "";
            if (key is not ("env" or "file"))
            {
                err(RecipeLoader.At(k), key is "value" or "data" or "text" or "password" or "passphrase"
                    ? $"{head}: '{key}': a secret's value is never written in the recipe; {Forms}"
                    : $"{head}: unknown key '{key}'; {Forms}");
                bad = true;
                continue;
            }
            if (found is not null)
            {
                err(RecipeLoader.At(k), $"{head}: give exactly one of 'env' or 'file'");
                bad = true;
                continue;
            }
            string? raw = (v as YamlScalarNode)?.Value;
            if (string.IsNullOrEmpty(raw))
            {
                err(RecipeLoader.At(v), $"{head}: '{key}' must name {(key == "env" ? "an environment variable" : "a file")}");
                bad = true;
                continue;
            }
            string? text = expander.Expand(raw, out var e);
            if (text is null)
            {
                err(RecipeLoader.At(v), $"{head}: {e}");
                bad = true;
                continue;
            }
            if (key == "env" && (text.Contains('=') || text.Contains('\0')))
            {
                err(RecipeLoader.At(v), $"{head}: 'env': '{text}' is not an environment variable name");
                bad = true;
                continue;
            }
            found = new RecipeSecret(id, key == "env" ? SecretSourceKind.Environment : SecretSourceKind.File, text, directory, RecipeLoader.At(v));
        }
        if (found is null && !bad)
            err(RecipeLoader.At(node), $"{head}: {Forms}");
        return bad ? null : found;
    }
}
