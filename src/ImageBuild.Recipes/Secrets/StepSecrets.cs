using ImageBuild.Engine.Block;
using ImageBuild.Engine.Secrets;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Steps;

namespace ImageBuild.Recipes.Secrets;

/// <summary>
/// The values of a run's secrets, read once when the run starts, and what a step gets of them: an engine context
/// holding only the secrets the step's options name; key material under a secret derives from the step's seed and the
/// secret's value (<see cref="ImageIdentity.ForSecret"/>), never from the recipe alone.
/// A secret that cannot be read fails the steps that use it, naming the secret and where it is declared.
/// </summary>
internal sealed class StepSecrets
{
    private readonly Recipe? _recipe;
    private readonly Dictionary<string, byte[]> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _problems = new(StringComparer.Ordinal);

    private StepSecrets(Recipe? recipe) => _recipe = recipe;

    public static StepSecrets None { get; } = new(null);

    public static StepSecrets Resolve(Recipe recipe)
    {
        var secrets = new StepSecrets(recipe);
        foreach (var secret in recipe.Secrets)
        {
            if (SecretReader.Read(secret, out var problem) is { } value)
                secrets._values[secret.Id] = value;
            else
                secrets._problems[secret.Id] = secret.Mark == Mark.None
                    ? $"{problem} (given by the host)"
                    : $"{problem} (declared at {recipe.Error(secret.Mark, "").ToString().TrimEnd(' ', ':')})";
        }
        return secrets;
    }

    /// <summary>The hash of a secret's identity (id and source), part of the keys of the steps that use it.</summary>
    public static string IdentityHash(Recipe recipe, string id) =>
        ContentHasher.HashText("imagebuild-secret-identity/1\n" + (recipe.FindSecret(id)?.Identity ?? id));

    /// <summary>
    /// The engine a step runs with: <paramref name="engine"/> unchanged when the step names no secret; else with a
    /// store of the secrets it names and an identity seeded by their values.
    /// </summary>
    public ImageContext EngineFor(RecipeStep step, Execution.StepKey key, ImageContext engine, IdentitySource plain)
    {
        var ids = SecretOptions.IdsUsedBy(step);
        if (ids.Count == 0) return engine.WithIdentity(plain);
        var store = new SecretStore();
        foreach (string id in ids)
        {
            if (_problems.TryGetValue(id, out var problem)) throw new StepFailedException(problem);
            if (!_values.TryGetValue(id, out var value)) throw new StepFailedException($"secret '{id}' is not declared under 'secrets:'");
            store.Add(id, value);
        }
        // key material under a secret is re-seeded by the secret's value in the engine (ImageIdentity.ForSecret)
        return engine.WithSecrets(store).WithIdentity(plain);
    }
}
