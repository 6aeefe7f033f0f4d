namespace ImageBuild.Recipes.Model;

/// <summary>Where a value stands in the recipe file (1-based).</summary>
public readonly record struct Mark(int Line, int Column)
{
    public static readonly Mark None = new(0, 0);
}
