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
    /// <summary>The settings (<see cref="StepCacheSettings.FromHost"/>); a reference that names no registry repository
    /// fails the alias (IMGB1004) naming the setting.</summary>
    public static StepCacheSettings? Settings(ICakeContext context, string what, ImageBuildRecipeSettings settings)
    {
        var result = StepCacheSettings.FromHost(settings.Cache, settings.CacheFrom, settings.CacheTo, settings.CacheRequired,
            settings.RegistryPlainHttp,
            settings.RegistryCaFile is null ? null : HostCall.Absolute(context, settings.RegistryCaFile),
            settings.RegistryConfig is null ? null : HostCall.Absolute(context, settings.RegistryConfig),
            context.Environment.WorkingDirectory.FullPath, out string? error);
        return error is null ? result : throw new CakeException($"{what} failed: {error} [{DiagnosticCodes.InvalidOperation}]");
    }
}
