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

    /// <summary>The content hash of a folder input: the tree's hash with each file's content hash from its stamp.</summary>
    public static string Hash(TreeScans scans, Recipe recipe, MapValue fields, BuildState state, bool persistStamps)
    {
        var tree = scans.Scan(recipe, fields);
        // Files whose stamps do not match are read and hashed on every core (a cold build reads the whole tree).
        var hashes = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var files = tree.Entries.Where(e => e.SourcePath is not null).ToList();
        try
        {
            Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, entry =>
            {
                string path = entry.SourcePath!;
                var stamp = FileStamp.Current(path, state.GetFile(path), out _)
                    ?? throw new IOException($"'{path}' disappeared while its folder was read");
                if (persistStamps) state.SetFile(path, stamp);
                hashes[path] = stamp.Hash;
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is IOException or UnauthorizedAccessException) is { } first)
        {
            throw first;
        }
        return TreeHash.Of(tree, entry => entry.SourcePath is { } path ? hashes[path]
            : "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(entry.Content!.Value.Span)));
    }
}

/// <summary>
/// The trees one run reads, each folder scanned once (with the same include, exclude and owners): the tree a step's
/// key was computed from is the tree its executor writes, and a large folder is not walked again per use.
/// </summary>
public sealed class TreeScans
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<FileTree>> _trees = new(StringComparer.Ordinal);

    /// <summary>The tree of a filesystem description (empty when it names no folder). IOException naming the path when unreadable.</summary>
    public FileTree Scan(Recipe recipe, MapValue fields)
    {
        if (fields.Text(TreeInput.FolderField) is not { } folder) return new FileTree([]);
        string root = recipe.ResolveFile(folder);
        var options = TreeInput.OptionsOf(fields);
        string key = string.Join("\n", [root, string.Join("\0", options.Include), string.Join("\0", options.Exclude), options.Owners.ToString()]);
        var lazy = _trees.GetOrAdd(key, _ => new Lazy<FileTree>(() => TreeScanner.Scan(root, options)));
        try
        {
            return lazy.Value;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _trees.TryRemove(key, out _); // a failed scan is not remembered: the next use reports it again
            throw;
        }
    }
}
