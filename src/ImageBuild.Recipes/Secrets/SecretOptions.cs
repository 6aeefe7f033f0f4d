using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Secrets;

/// <summary>
/// The options whose value is a secret's id rather than a value (qemu's <c>key-secret</c>, <c>encrypt.key-secret</c>,
/// <c>password-secret</c>): the last dotted part of the name ends in <c>secret</c>. Such an option must name a
/// secret the recipe declares; the step's key then covers that secret's identity.
/// </summary>
public static class SecretOptions
{
    public static bool IsSecretOption(string name)
    {
        int dot = name.LastIndexOf('.');
        return name[(dot + 1)..].EndsWith("secret", StringComparison.Ordinal);
    }

    /// <summary>The step's options that name a secret: option name and the id it names (with its place).</summary>
    public static IEnumerable<(string Option, TextValue Id)> Of(RecipeStep step)
    {
        foreach (var value in step.Params.Values)
            if (value is OptionsValue options)
                foreach (var (name, id) in options.Items)
                    if (IsSecretOption(name))
                        yield return (name, id);
    }

    /// <summary>The ids of the secrets a step uses, each once, in order.</summary>
    public static IReadOnlyList<string> IdsUsedBy(RecipeStep step) =>
        Of(step).Select(o => o.Id.Value).Distinct(StringComparer.Ordinal).ToList();
}
