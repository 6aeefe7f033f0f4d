namespace ImageBuild.Recipes.Model;

/// <summary>A loaded, validated recipe: its steps in file order, its variables' final values, where it lives.</summary>
public sealed class Recipe
{
    /// <summary>Path of the recipe file as given (used in messages).</summary>
    public required string File { get; init; }

    /// <summary>Absolute directory of the recipe file: relative paths in the recipe resolve against it.</summary>
    public required string Directory { get; init; }

    public string? Name { get; init; }

    /// <summary>output-dir from the recipe, relative to <see cref="Directory"/>; null when not given.</summary>
    public string? OutputDir { get; init; }

    public required IReadOnlyDictionary<string, string> Variables { get; init; }

    /// <summary>
    /// untrusted-images: the recipe's existing images (image steps, image-file) may name only regular files inside
    /// their own directory (backing files, data files); see <see cref="Engine.Block.ImageFilePolicy.Untrusted"/>.
    /// </summary>
    public bool UntrustedImages { get; init; }

    public required IReadOnlyList<RecipeStep> Steps { get; init; }

    /// <summary>The secrets steps may name (<c>secrets:</c>, and those a host added), by id; values are never held here.</summary>
    public IReadOnlyList<RecipeSecret> Secrets { get; init; } = [];

    /// <summary>The recipe's <c>cache:</c> section (a remote step cache); null when it has none. A host's settings replace it field by field.</summary>
    public Cache.Remote.StepCacheSettings? Cache { get; init; }

    /// <summary>This recipe with <see cref="UntrustedImages"/> set (a host or the command line asked for it).</summary>
    public Recipe WithUntrustedImages() => new()
    {
        File = File, Directory = Directory, Name = Name, OutputDir = OutputDir, Variables = Variables, Steps = Steps,
        Secrets = Secrets, UntrustedImages = true, Cache = Cache,
    };

    /// <summary>
    /// This recipe with secrets a host gives (an MSBuild item, a Cake setting): each replaces the recipe's secret of
    /// the same id, as <c>--set</c> replaces a variable's default, or adds one.
    /// </summary>
    public Recipe WithSecrets(IReadOnlyList<RecipeSecret> given)
    {
        if (given.Count == 0) return this;
        var ids = given.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        return new()
        {
            File = File, Directory = Directory, Name = Name, OutputDir = OutputDir, Variables = Variables, Steps = Steps,
            UntrustedImages = UntrustedImages, Cache = Cache,
            Secrets = Secrets.Where(s => !ids.Contains(s.Id)).Concat(given.GroupBy(s => s.Id, StringComparer.Ordinal).Select(g => g.Last())).ToList(),
        };
    }

    public RecipeSecret? FindSecret(string id) => Secrets.FirstOrDefault(s => s.Id == id);

    public RecipeStep? Find(string id) => Steps.FirstOrDefault(s => s.Id == id);

    /// <summary>A repository file named by the recipe, resolved against the recipe's directory.</summary>
    public string ResolveFile(string relative) => Path.GetFullPath(Path.Combine(Directory, relative));

    public RecipeError Error(Mark mark, string message) => new(File, mark.Line, mark.Column, message);
}
