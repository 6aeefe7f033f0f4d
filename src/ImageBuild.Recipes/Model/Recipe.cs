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

    /// <summary>This recipe with <see cref="UntrustedImages"/> set (a host or the command line asked for it).</summary>
    public Recipe WithUntrustedImages() => new()
    {
        File = File, Directory = Directory, Name = Name, OutputDir = OutputDir, Variables = Variables, Steps = Steps,
        UntrustedImages = true,
    };

    public RecipeStep? Find(string id) => Steps.FirstOrDefault(s => s.Id == id);

    /// <summary>A repository file named by the recipe, resolved against the recipe's directory.</summary>
    public string ResolveFile(string relative) => Path.GetFullPath(Path.Combine(Directory, relative));

    public RecipeError Error(Mark mark, string message) => new(File, mark.Line, mark.Column, message);
}
