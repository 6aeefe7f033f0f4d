using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Hosting;

/// <summary>
/// A secret as a host describes it (an MSBuild item's metadata, a Cake setting): an id and exactly one of an
/// environment variable or a file. A value given directly is refused: hosts, like recipes, only say where it is.
/// </summary>
public static class HostSecrets
{
    /// <summary>The secret, or null with <paramref name="error"/> (one line, naming the id, never a value).</summary>
    public static RecipeSecret? Describe(string id, string? environmentVariable, string? file, string baseDirectory, out string? error)
    {
        error = null;
        bool env = !string.IsNullOrEmpty(environmentVariable), path = !string.IsNullOrEmpty(file);
        if (string.IsNullOrEmpty(id) || !Loading.RecipeLoader.IsId(id))
            error = $"secret '{id}': ids are letters, digits, '.', '_' and '-', starting with a letter or digit";
        else if (env == path)
            error = $"secret '{id}': give exactly one of an environment variable or a file";
        else if (env && (environmentVariable!.Contains('=') || environmentVariable.Contains('\0')))
            error = $"secret '{id}': '{environmentVariable}' is not an environment variable name";
        if (error is not null) return null;
        return env ? RecipeSecret.FromEnvironment(id, environmentVariable!) : RecipeSecret.FromFile(id, file!, baseDirectory);
    }
}
