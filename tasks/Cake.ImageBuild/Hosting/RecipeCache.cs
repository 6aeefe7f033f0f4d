using Cake.Core;
using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Recipes.Hosting;

namespace Cake.ImageBuild.Hosting;

/// <summary>
/// The recipe settings' remote step cache as the host API takes it: <see cref="ImageBuildRecipeSettings.Cache"/> both
/// ways, <see cref="ImageBuildRecipeSettings.CacheFrom"/>/<see cref="ImageBuildRecipeSettings.CacheTo"/> winning for
/// their direction, files made absolute against the working directory. Nothing set: null (the recipe's own
/// <c>cache:</c> applies); the runner lays these over the recipe's field by field.
/// </summary>
internal static class RecipeCache
{
    /// <summary>The settings; a reference that names no registry repository (<see cref="StepCacheReference"/>, as the
    /// command line checks it) fails the alias (IMGB1004) naming the setting.</summary>
    public static StepCacheSettings? Settings(ICakeContext context, string what, ImageBuildRecipeSettings settings)
    {
        foreach (var (name, value) in new[] { ("Cache", settings.Cache), ("CacheFrom", settings.CacheFrom), ("CacheTo", settings.CacheTo) })
            if (Given(value) is { } text && Problem(text) is { } problem)
                throw new CakeException($"{what} failed: {name}: {problem} [{DiagnosticCodes.InvalidOperation}]");
        string? from = Given(settings.CacheFrom) ?? Given(settings.Cache), to = Given(settings.CacheTo) ?? Given(settings.Cache);
        if (from is null && to is null && !settings.CacheRequired && !settings.RegistryPlainHttp
            && settings.RegistryCaFile is null && settings.RegistryConfig is null)
            return null;
        return new StepCacheSettings
        {
            From = from,
            To = to,
            Required = settings.CacheRequired,
            PlainHttp = settings.RegistryPlainHttp,
            CaFile = settings.RegistryCaFile is null ? null : HostCall.Absolute(context, settings.RegistryCaFile),
            AuthFile = settings.RegistryConfig is null ? null : HostCall.Absolute(context, settings.RegistryConfig),
        };
    }

    /// <summary>
    /// Why <paramref name="text"/> names no step cache; null when it does. A reference with user information before
    /// its host (oci://USER:PASSWORD@HOST/...) is refused without being repeated: it may hold a password.
    /// </summary>
    private static string? Problem(string text)
    {
        int start = text.StartsWith("oci://", StringComparison.OrdinalIgnoreCase) ? "oci://".Length : 0;
        int slash = text.IndexOf('/', start);
        if (text.AsSpan(start, (slash < 0 ? text.Length : slash) - start).Contains('@'))
            return "a registry reference holds no credentials (give them in a credentials file or the environment)";
        return StepCacheReference.Problem(text);
    }

    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
