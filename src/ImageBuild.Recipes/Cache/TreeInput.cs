using ImageBuild.Filesystems.Trees;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Cache;

/// <summary>
/// A repository folder as a step input: the tree a <c>tree</c> parameter names, kept or dropped by the <c>include</c>
/// and <c>exclude</c> globs beside it and owned as <c>owners</c> says, and its content hash. Files are hashed through
/// their stamps in the output directory's state, so a rerun reads only the files whose size or mtime changed.
/// </summary>
internal static class TreeInput
{
    /// <summary>The folder parameter of a filesystem description.</summary>
    public const string FolderField = "tree";

    /// <summary>Every folder a step reads, by input name: "tree", or "partitions[1].filesystem.tree" inside mappings.</summary>
    public static IEnumerable<(string Input, MapValue Fields, TextValue Folder)> Folders(IReadOnlyList<ParamSpec> specs, MapValue values, string prefix = "")
    {
        foreach (var spec in specs)
        {
            switch (values.Get(spec.Name))
            {
                case TextValue t when spec.Type == ParamType.RepoFolder:
                    yield return (prefix + spec.Name, values, t);
                    break;
                case MapValue m:
                    foreach (var f in Folders(spec.Fields, m, $"{prefix}{spec.Name}.")) yield return f;
                    break;
                case MapListValue list:
                    for (int i = 0; i < list.Items.Count; i++)
                        foreach (var f in Folders(spec.Fields, list.Items[i], $"{prefix}{RecipeGraph.ListInputName(spec.Name, i)}."))
                            yield return f;
                    break;
            }
        }
    }

    /// <summary>What a scan of the folder keeps, from the fields beside it.</summary>
    public static TreeScanOptions OptionsOf(MapValue fields) => new()
    {
        Include = fields.Get("include") is ListValue inc ? inc.Items.Select(i => i.Value).ToList() : ["**"],
        Exclude = fields.Texts("exclude"),
        Owners = fields.Text("owners") == "keep" ? OwnerMapping.Keep : OwnerMapping.Root,
    };

    /// <summary>The tree of a filesystem description (empty when it names no folder). IOException naming the path when unreadable.</summary>
    public static FileTree Scan(Recipe recipe, MapValue fields)
    {
        if (fields.Text(FolderField) is not { } folder) return new FileTree([]);
        return TreeScanner.Scan(recipe.ResolveFile(folder), OptionsOf(fields));
    }

    /// <summary>The content hash of a folder input: the tree's hash with each file's content hash from its stamp.</summary>
    public static string Hash(Recipe recipe, MapValue fields, BuildState state, bool persistStamps)
    {
        var tree = Scan(recipe, fields);
        return TreeHash.Of(tree, entry =>
        {
            if (entry.SourcePath is not { } path) return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(entry.Content!.Value.Span));
            var stamp = FileStamp.Current(path, state.GetFile(path), out _)
                ?? throw new IOException($"'{path}' disappeared while its folder was read");
            if (persistStamps) state.SetFile(path, stamp);
            return stamp.Hash;
        });
    }
}
