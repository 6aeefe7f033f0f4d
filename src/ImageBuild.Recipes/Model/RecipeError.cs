namespace ImageBuild.Recipes.Model;

/// <summary>A problem in a recipe, located in its file (1-based line and column; 0 when not tied to a place).</summary>
public sealed record RecipeError(string File, int Line, int Column, string Message)
{
    /// <summary>"file:line:col: message", the shape compilers and editors understand.</summary>
    public override string ToString() =>
        Line > 0 ? $"{File}:{Line}:{Column}: {Message}" : $"{File}: {Message}";
}

/// <summary>A recipe that cannot be loaded or run: every problem found, each with its place.</summary>
public sealed class RecipeException(IReadOnlyList<RecipeError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<RecipeError> Errors { get; } = errors;
}
